namespace Sapling.Data.Text.Jinja;

/// <summary>
/// Jinja's default Undefined: what a missing variable, key or attribute evaluates to. It is falsey, renders as
/// nothing, iterates as empty and has length 0; reading an attribute or item of it, or computing with it, is an
/// error naming what was missing (Jinja's UndefinedError).
/// </summary>
internal sealed class JinjaUndefined(string hint)
{
    /// <summary>Why it is undefined, in Jinja's words: "'x' is undefined", "'dict object' has no attribute 'y'".</summary>
    public string Hint { get; } = hint;

    public JinjaRenderException Error() => new(Hint);
}

/// <summary>A Python tuple: read like a list, but written "(a, b)" and never equal to a list.</summary>
internal sealed class JinjaTuple : List<object?>
{
    public JinjaTuple() { }

    public JinjaTuple(IEnumerable<object?> items) : base(items) { }
}

/// <summary>namespace(...): the one mutable object templates have, so that a loop can carry a value out of its body.</summary>
internal sealed class JinjaNamespace
{
    public OrderedDictionary<string, object?> Attributes { get; } = new(StringComparer.Ordinal);
}

/// <summary>The <c>loop</c> variable of a for loop.</summary>
internal sealed class JinjaLoop(IReadOnlyList<object?> items)
{
    public int Index0 { get; set; }

    public object? Attribute(string name) => name switch
    {
        "index" => (long)Index0 + 1,
        "index0" => (long)Index0,
        "revindex" => (long)(items.Count - Index0),
        "revindex0" => (long)(items.Count - Index0 - 1),
        "first" => Index0 == 0,
        "last" => Index0 == items.Count - 1,
        "length" => (long)items.Count,
        "depth" => 1L,
        "depth0" => 0L,
        "previtem" => Index0 > 0 ? items[Index0 - 1] : new JinjaUndefined("there is no previous item"),
        "nextitem" => Index0 + 1 < items.Count ? items[Index0 + 1] : new JinjaUndefined("there is no next item"),
        _ => new JinjaUndefined($"'LoopContext object' has no attribute '{name}'"),
    };

    public object? Cycle(IReadOnlyList<object?> values) =>
        values.Count == 0 ? throw new JinjaRenderException("loop.cycle() needs at least one value") : values[Index0 % values.Count];
}
