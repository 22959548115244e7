namespace Sapling.Data.Text.Jinja;

/// <summary>Evaluated arguments of a filter, test, method or function call, read by position or by name as Python binds them.</summary>
internal sealed class CallArguments(string callee, IReadOnlyList<object?> positional, IReadOnlyDictionary<string, object?> named)
{
    public static readonly CallArguments Empty = new("", [], new Dictionary<string, object?>());

    public int Count => positional.Count;

    public IReadOnlyList<object?> Positional => positional;

    public IReadOnlyDictionary<string, object?> Named => named;

    /// <summary>The argument at <paramref name="index"/> or named <paramref name="name"/>, else <paramref name="fallback"/>.</summary>
    public object? Get(int index, string name, object? fallback)
    {
        if (index < positional.Count) return positional[index];
        return named.TryGetValue(name, out var value) ? value : fallback;
    }

    public object? Required(int index, string name) =>
        index < positional.Count || named.ContainsKey(name) ? Get(index, name, null) : throw new JinjaRenderException($"{callee}() is missing the argument '{name}'");

    public string? GetString(int index, string name)
    {
        var value = Get(index, name, null);
        return value switch
        {
            null => null,
            string s => s,
            _ => throw new JinjaRenderException($"{callee}(): '{name}' must be a string, got {JinjaValues.TypeName(value)}"),
        };
    }

    /// <summary>Refuses arguments past those the callee takes, so a misspelt keyword is not silently ignored.</summary>
    public CallArguments Allow(int maxPositional, params string[] names)
    {
        if (positional.Count > maxPositional) throw new JinjaRenderException($"{callee}() takes at most {maxPositional} positional arguments, got {positional.Count}");
        foreach (var key in named.Keys)
            if (Array.IndexOf(names, key) < 0) throw new JinjaRenderException($"{callee}() got an unexpected keyword argument '{key}'");
        return this;
    }

    /// <summary>The same call without its first <paramref name="skip"/> positional arguments (for filters that pass the rest on).</summary>
    public CallArguments Skip(int skip, string newCallee) => new(newCallee, positional.Count > skip ? positional.Skip(skip).ToList() : [], named);
}
