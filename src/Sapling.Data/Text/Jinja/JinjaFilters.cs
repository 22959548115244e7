using System.Globalization;

namespace Sapling.Data.Text.Jinja;

/// <summary>The filters of <c>value | name(args)</c> that the interpreter implements, with Jinja's (and for tojson, transformers') meanings.</summary>
internal static class JinjaFilters
{
    public static readonly HashSet<string> Names =
    [
        "trim", "length", "count", "upper", "lower", "default", "d", "join", "tojson", "first", "last", "string", "int",
        "float", "list", "capitalize", "title", "replace", "reverse", "abs", "items", "safe", "selectattr", "rejectattr",
        "select", "reject", "map",
    ];

    public static object? Apply(string filter, object? value, CallArguments args)
    {
        switch (filter)
        {
            case "default" or "d":
                args.Allow(2, "default_value", "boolean");
                bool onFalsey = JinjaValues.IsTruthy(args.Get(1, "boolean", false));
                return value is JinjaUndefined || (onFalsey && !JinjaValues.IsTruthy(value)) ? args.Get(0, "default_value", "") : value;
            case "length" or "count":
                args.Allow(0);
                return JinjaValues.Length(value);
            case "trim":
                args.Allow(1, "chars");
                return PythonStrings.Strip(JinjaValues.ToText(value), args.GetString(0, "chars"), left: true, right: true);
            case "upper":
                args.Allow(0);
                return JinjaValues.ToText(value).ToUpperInvariant();
            case "lower":
                args.Allow(0);
                return JinjaValues.ToText(value).ToLowerInvariant();
            case "capitalize":
                args.Allow(0);
                return PythonStrings.Capitalize(JinjaValues.ToText(value));
            case "title":
                args.Allow(0);
                return PythonStrings.TitleFilter(JinjaValues.ToText(value));
            case "string":
                args.Allow(0);
                return JinjaValues.ToText(value);
            case "safe":
                // Chat templates render without autoescaping, so marking text safe changes nothing.
                args.Allow(0);
                return value;
            case "replace":
                args.Allow(3, "old", "new", "count");
                return PythonStrings.Replace(JinjaValues.ToText(value), JinjaValues.ToText(args.Required(0, "old")), JinjaValues.ToText(args.Required(1, "new")),
                    args.Get(2, "count", null) is long n ? n : -1);
            case "join":
                args.Allow(2, "d", "attribute");
                return Join(value, args.GetString(0, "d") ?? "", args.Get(1, "attribute", null));
            case "tojson":
                args.Allow(1, "indent", "sort_keys", "ensure_ascii");
                if (args.Get(0, "ensure_ascii", false) is true) throw new JinjaRenderException("tojson(ensure_ascii=True) is not supported by Sapling's Jinja subset");
                var indent = args.Get(0, "indent", null) switch
                {
                    null => null,
                    long spaces => new string(' ', (int)spaces),
                    string s => s,
                    var other => throw new JinjaRenderException($"tojson(): indent must be an integer or a string, got {JinjaValues.TypeName(other)}"),
                };
                return JinjaJson.Serialize(value, indent, JinjaValues.IsTruthy(args.Get(1, "sort_keys", false)));
            case "first":
                args.Allow(0);
                var items = JinjaValues.Iterate(value);
                return items.Count > 0 ? items[0] : new JinjaUndefined("No first item, sequence was empty.");
            case "last":
                args.Allow(0);
                var all = JinjaValues.Iterate(value);
                return all.Count > 0 ? all[^1] : new JinjaUndefined("No last item, sequence was empty.");
            case "list":
                args.Allow(0);
                return new List<object?>(JinjaValues.Iterate(value));
            case "reverse":
                args.Allow(0);
                if (value is string text)
                {
                    var points = JinjaValues.CodePoints(text);
                    points.Reverse();
                    return string.Concat(points);
                }
                var reversed = new List<object?>(JinjaValues.Iterate(value));
                reversed.Reverse();
                return reversed;
            case "abs":
                args.Allow(0);
                return value switch
                {
                    long l => (object)Math.Abs(l),
                    double x => Math.Abs(x),
                    bool b => b ? 1L : 0L,
                    _ => throw new JinjaRenderException($"bad operand type for abs(): '{JinjaValues.TypeName(value)}'"),
                };
            case "int":
                args.Allow(2, "default", "base");
                return ToInt(value, args.Get(0, "default", 0L));
            case "float":
                args.Allow(1, "default");
                return ToFloat(value, args.Get(0, "default", 0.0));
            case "items":
                args.Allow(0);
                return value switch
                {
                    OrderedDictionary<string, object?> d => Pairs(d),
                    JinjaUndefined => new List<object?>(),
                    _ => throw new JinjaRenderException($"items(): expected a dict, got {JinjaValues.TypeName(value)}"),
                };
            case "selectattr" or "rejectattr":
                return SelectAttribute(value, args, keep: filter == "selectattr");
            case "select" or "reject":
                return Select(value, args, keep: filter == "select");
            case "map":
                return Map(value, args);
            default:
                throw new JinjaRenderException($"the filter '{filter}' is not supported");
        }
    }

    public static List<object?> Pairs(OrderedDictionary<string, object?> d)
    {
        var pairs = new List<object?>(d.Count);
        foreach (var (k, v) in d) pairs.Add(new JinjaTuple([k, v]));
        return pairs;
    }

    private static string Join(object? value, string separator, object? attribute)
    {
        var parts = new List<string>();
        foreach (var item in JinjaValues.Iterate(value))
            parts.Add(JinjaValues.ToText(attribute == null ? item : JinjaEvaluator.GetItem(item, attribute)));
        return string.Join(separator, parts);
    }

    private static object? ToInt(object? value, object? fallback)
    {
        switch (value)
        {
            case long l: return l;
            case bool b: return b ? 1L : 0L;
            case double d: return (long)Math.Truncate(d);
            case string s:
                var t = PythonStrings.Strip(s, null, true, true).Replace("_", "");
                if (long.TryParse(t, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long parsed)) return parsed;
                if (double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out double real)) return (long)Math.Truncate(real);
                return fallback;
            default: return fallback;
        }
    }

    private static object? ToFloat(object? value, object? fallback) => value switch
    {
        long l => (double)l,
        bool b => b ? 1.0 : 0.0,
        double d => d,
        string s when double.TryParse(PythonStrings.Strip(s, null, true, true), NumberStyles.Float, CultureInfo.InvariantCulture, out double parsed) => parsed,
        _ => fallback,
    };

    // selectattr("role", "equalto", "system"): items whose attribute passes the test (truthiness without a test).
    private static List<object?> SelectAttribute(object? value, CallArguments args, bool keep)
    {
        var attribute = args.Required(0, "attribute");
        var result = new List<object?>();
        foreach (var item in JinjaValues.Iterate(value))
        {
            var field = JinjaEvaluator.GetItem(item, attribute);
            if (Passes(field, args, 1) == keep) result.Add(item);
        }
        return result;
    }

    private static List<object?> Select(object? value, CallArguments args, bool keep)
    {
        var result = new List<object?>();
        foreach (var item in JinjaValues.Iterate(value))
            if (Passes(item, args, 0) == keep) result.Add(item);
        return result;
    }

    private static bool Passes(object? value, CallArguments args, int testAt)
    {
        if (args.Count <= testAt) return JinjaValues.IsTruthy(value);
        if (args.Positional[testAt] is not string test || !JinjaTests.Names.Contains(test))
            throw new JinjaRenderException($"unknown test '{JinjaValues.ToText(args.Positional[testAt])}'");
        return JinjaTests.Apply(test, value, args.Skip(testAt + 1, test));
    }

    // map(attribute="content", default=...) or map("lower"): a filter applied to every item.
    private static List<object?> Map(object? value, CallArguments args)
    {
        var result = new List<object?>();
        var attribute = args.Get(99, "attribute", null);
        if (attribute != null)
        {
            args.Allow(0, "attribute", "default");
            var fallback = args.Get(99, "default", null);
            foreach (var item in JinjaValues.Iterate(value))
            {
                var field = JinjaEvaluator.GetItem(item, attribute);
                result.Add(field is JinjaUndefined && fallback != null ? fallback : field);
            }
            return result;
        }
        if (args.Count == 0 || args.Positional[0] is not string filter || !Names.Contains(filter))
            throw new JinjaRenderException("map() needs attribute=... or the name of a known filter");
        foreach (var item in JinjaValues.Iterate(value)) result.Add(Apply(filter, item, args.Skip(1, filter)));
        return result;
    }
}
