using System.Text.RegularExpressions;

namespace Sapling.NN.Adapters;

/// <summary>
/// Which layers get LoRA adapters and how big they are. <see cref="TargetModules"/> follows PEFT: a list of names
/// matches a layer whose dotted path equals a name or ends in "." + name (<c>["c_attn", "c_proj"]</c>); a single
/// string that is not a plain name is a regular expression matched against the whole path. For convenience a string
/// of plain names joined by "|" (<c>c_attn|c_proj</c>) is read as that list.
/// </summary>
public sealed record LoraConfig
{
    /// <summary>The rank r of each update (PEFT's <c>r</c>); 8 by default.</summary>
    public int Rank { get; init; } = 8;
    /// <summary>
    /// The scale numerator α (PEFT's <c>lora_alpha</c>): updates are multiplied by α/r; 16 by default.
    /// </summary>
    public float Alpha { get; init; } = 16f;
    /// <summary>Dropout probability on each branch's input, in [0, 1); 0 by default.</summary>
    public float Dropout { get; init; }
    /// <summary>
    /// Names of the layers to adapt, matched against the end of each dotted path; <c>["c_attn"]</c> by default.
    /// </summary>
    public IReadOnlyList<string> TargetModules { get; init; } = ["c_attn"];

    /// <summary>A whole-path regular expression instead of <see cref="TargetModules"/>.</summary>
    public string? TargetRegex { get; init; }

    private static readonly Regex PlainNames = new(@"^[A-Za-z0-9_]+(\|[A-Za-z0-9_]+)*$", RegexOptions.CultureInvariant);

    /// <summary>Reads the user's pattern: plain names joined by "|" become the list, anything else a regex.</summary>
    public static LoraConfig WithTargets(LoraConfig config, string pattern) =>
        PlainNames.IsMatch(pattern)
            ? config with { TargetModules = pattern.Split('|'), TargetRegex = null }
            : config with { TargetModules = [], TargetRegex = pattern };

    /// <summary>
    /// Whether the layer at <paramref name="modulePath"/> gets an adapter: the whole path matches
    /// <see cref="TargetRegex"/> when one is set, otherwise it equals or ends in "." + one of
    /// <see cref="TargetModules"/>.
    /// </summary>
    public bool Matches(string modulePath)
    {
        if (TargetRegex != null) return Regex.IsMatch(modulePath, "^(?:" + TargetRegex + ")$", RegexOptions.CultureInvariant);
        foreach (var name in TargetModules)
            if (modulePath == name || modulePath.EndsWith("." + name, StringComparison.Ordinal)) return true;
        return false;
    }

    /// <summary>
    /// Refuses settings no adapter can use; messages name each option through <see cref="OptionNames"/>. <paramref name="requireTargets"/> false accepts no targets (the caller fills in its model family's usual layers).
    /// </summary>
    public void Validate(bool requireTargets = true)
    {
        static string N(string option) => OptionNames.Of(option);
        if (Rank <= 0) throw new ArgumentException($"{N(nameof(Rank))} must be positive, got {Rank}");
        if (Alpha <= 0) throw new ArgumentException($"{N(nameof(Alpha))} must be positive, got {Alpha}");
        if (Dropout is < 0 or >= 1) throw new ArgumentException($"{N(nameof(Dropout))} must be in [0, 1), got {Dropout}");
        if (requireTargets && TargetRegex == null && TargetModules.Count == 0) throw new ArgumentException($"{N(nameof(TargetModules))} names no layer");
    }
}
