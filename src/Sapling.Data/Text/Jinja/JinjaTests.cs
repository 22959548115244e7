namespace Sapling.Data.Text.Jinja;

/// <summary>The tests of <c>value is name(args)</c> that the interpreter implements, with Jinja's meanings.</summary>
internal static class JinjaTests
{
    public static readonly HashSet<string> Names =
    [
        "defined", "undefined", "none", "string", "number", "integer", "float", "boolean", "true", "false", "mapping",
        "iterable", "sequence", "odd", "even", "divisibleby", "eq", "equalto", "==", "ne", "!=", "lt", "<", "gt", ">",
        "le", "<=", "ge", ">=", "in", "lower", "upper", "sameas",
    ];

    public static bool Apply(string test, object? value, CallArguments args)
    {
        switch (test)
        {
            case "defined": return value is not JinjaUndefined;
            case "undefined": return value is JinjaUndefined;
            case "none": return value == null;
            case "string": return value is string;
            // Python's bool is a number; Jinja's integer test excludes it.
            case "number": return value is long or double or bool;
            case "integer": return value is long;
            case "float": return value is double;
            case "boolean": return value is bool;
            case "true": return value is true;
            case "false": return value is false;
            case "mapping": return value is OrderedDictionary<string, object?>;
            case "iterable": return value is string or List<object?> or OrderedDictionary<string, object?> or JinjaUndefined;
            case "sequence": return value is string or List<object?> or OrderedDictionary<string, object?>;
            case "lower": return value is string s && s == s.ToLowerInvariant();
            case "upper": return value is string u && u == u.ToUpperInvariant();
            case "odd": return Integer(value, test) % 2 != 0;
            case "even": return Integer(value, test) % 2 == 0;
            case "divisibleby":
                long divisor = Integer(args.Required(0, "num"), test);
                return divisor != 0 && Integer(value, test) % divisor == 0;
            case "eq" or "equalto" or "==": return JinjaValues.AreEqual(value, args.Required(0, "other"));
            case "ne" or "!=": return !JinjaValues.AreEqual(value, args.Required(0, "other"));
            case "lt" or "<": return JinjaValues.Compare(value, args.Required(0, "other"), "<") < 0;
            case "gt" or ">": return JinjaValues.Compare(value, args.Required(0, "other"), ">") > 0;
            case "le" or "<=": return JinjaValues.Compare(value, args.Required(0, "other"), "<=") <= 0;
            case "ge" or ">=": return JinjaValues.Compare(value, args.Required(0, "other"), ">=") >= 0;
            case "in": return JinjaValues.Contains(args.Required(0, "seq"), value);
            case "sameas":
                var other = args.Required(0, "other");
                return value is null or bool ? Equals(value, other) : ReferenceEquals(value, other);
            default: throw new JinjaRenderException($"the test '{test}' is not supported");
        }
    }

    private static long Integer(object? value, string test) => value switch
    {
        long l => l,
        bool b => b ? 1 : 0,
        JinjaUndefined u => throw u.Error(),
        _ => throw new JinjaRenderException($"the test '{test}' needs an integer, got {JinjaValues.TypeName(value)}"),
    };
}
