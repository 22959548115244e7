namespace Sapling.Data.Text.Jinja;

/// <summary>
/// Global functions: Jinja's range and namespace, and transformers' raise_exception (a template's way to reject a
/// conversation, e.g. roles out of order) and strftime_now (today's date in a system prompt).
/// </summary>
internal static class JinjaFunctions
{
    public static readonly HashSet<string> Names = ["raise_exception", "namespace", "range", "strftime_now"];

    /// <param name="now">The time strftime_now formats (the render's clock).</param>
    public static object? Call(string function, CallArguments args, DateTime now)
    {
        switch (function)
        {
            case "raise_exception":
                args.Allow(1);
                throw new JinjaRenderException(JinjaValues.ToText(args.Required(0, "message")));
            case "namespace":
                if (args.Count > 0) throw new JinjaRenderException("namespace() takes keyword arguments only");
                return Fill(new JinjaNamespace(), args.Named);
            case "range":
                return Range(args.Allow(3));
            case "strftime_now":
                args.Allow(1);
                return args.Required(0, "format") is string format
                    ? PythonStrftime.Format(now, format)
                    : throw new JinjaRenderException("strftime_now() takes a format string");
            default:
                throw new JinjaRenderException($"the function '{function}' is not supported");
        }
    }

    private static JinjaNamespace Fill(JinjaNamespace ns, IReadOnlyDictionary<string, object?> values)
    {
        foreach (var (k, v) in values) ns.Attributes[k] = v;
        return ns;
    }

    private static List<object?> Range(CallArguments args)
    {
        long Integer(object? v) => v is long l ? l : v is bool b ? (b ? 1 : 0) : throw new JinjaRenderException($"range() takes integers, got {JinjaValues.TypeName(v)}");
        long start = 0, stop, step = 1;
        if (args.Count == 1) stop = Integer(args.Positional[0]);
        else if (args.Count >= 2)
        {
            start = Integer(args.Positional[0]);
            stop = Integer(args.Positional[1]);
            if (args.Count == 3) step = Integer(args.Positional[2]);
        }
        else throw new JinjaRenderException("range() needs at least one argument");
        if (step == 0) throw new JinjaRenderException("range() arg 3 must not be zero");
        var items = new List<object?>();
        for (long i = start; step > 0 ? i < stop : i > stop; i += step)
        {
            items.Add(i);
            if (items.Count > 100_000) throw new JinjaRenderException("range() of more than 100,000 items is refused");
        }
        return items;
    }
}
