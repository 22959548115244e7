namespace Sapling.Data.Text.Jinja;

/// <summary>Python methods templates call on strings (strip, split, startswith, ...), dicts (items, get, ...) and loop.cycle.</summary>
internal static class JinjaMethods
{
    public static readonly HashSet<string> Names =
    [
        "strip", "lstrip", "rstrip", "startswith", "endswith", "split", "upper", "lower", "title", "capitalize", "replace",
        "items", "keys", "values", "get", "cycle",
    ];

    public static object? Call(object? target, string method, CallArguments args)
    {
        switch (target)
        {
            case JinjaUndefined undefined:
                throw undefined.Error();
            case string s:
                return StringMethod(s, method, args);
            case OrderedDictionary<string, object?> d:
                return DictMethod(d, method, args);
            case JinjaLoop loop when method == "cycle":
                return loop.Cycle(args.Positional);
            default:
                throw new JinjaRenderException($"'{JinjaValues.TypeName(target)}' object has no method '{method}'");
        }
    }

    private static object? StringMethod(string s, string method, CallArguments args)
    {
        switch (method)
        {
            case "strip": return PythonStrings.Strip(s, args.Allow(1).GetString(0, "chars"), left: true, right: true);
            case "lstrip": return PythonStrings.Strip(s, args.Allow(1).GetString(0, "chars"), left: true, right: false);
            case "rstrip": return PythonStrings.Strip(s, args.Allow(1).GetString(0, "chars"), left: false, right: true);
            case "upper":
                args.Allow(0);
                return s.ToUpperInvariant();
            case "lower":
                args.Allow(0);
                return s.ToLowerInvariant();
            case "title":
                args.Allow(0);
                return PythonStrings.Title(s);
            case "capitalize":
                args.Allow(0);
                return PythonStrings.Capitalize(s);
            case "startswith" or "endswith":
                args.Allow(1);
                var affixes = args.Required(0, "prefix") switch
                {
                    string one => [one],
                    List<object?> many => many,
                    var other => throw new JinjaRenderException($"{method}() takes a string or a tuple of strings, not {JinjaValues.TypeName(other)}"),
                };
                foreach (var affix in affixes)
                {
                    if (affix is not string a) throw new JinjaRenderException($"{method}(): the tuple holds a {JinjaValues.TypeName(affix)}, not a string");
                    if (method == "startswith" ? s.StartsWith(a, StringComparison.Ordinal) : s.EndsWith(a, StringComparison.Ordinal)) return true;
                }
                return false;
            case "split":
                args.Allow(2, "sep", "maxsplit");
                return PythonStrings.Split(s, args.GetString(0, "sep"), args.Get(1, "maxsplit", -1L) is long n ? n : -1);
            case "replace":
                args.Allow(3);
                return PythonStrings.Replace(s, JinjaValues.ToText(args.Required(0, "old")), JinjaValues.ToText(args.Required(1, "new")), args.Get(2, "count", -1L) is long c ? c : -1);
            default:
                throw new JinjaRenderException($"'str' object has no method '{method}'");
        }
    }

    private static object? DictMethod(OrderedDictionary<string, object?> d, string method, CallArguments args)
    {
        switch (method)
        {
            case "items":
                args.Allow(0);
                return JinjaFilters.Pairs(d);
            case "keys":
                args.Allow(0);
                return new List<object?>(d.Keys);
            case "values":
                args.Allow(0);
                return new List<object?>(d.Values);
            case "get":
                args.Allow(2);
                return args.Required(0, "key") is string key && d.TryGetValue(key, out var value) ? value : args.Get(1, "default", null);
            default:
                throw new JinjaRenderException($"'dict' object has no method '{method}'");
        }
    }
}
