namespace Sapling.Training.Sweeps;

/// <summary>One setting of one trial: a dotted name and its value as YAML text (what <c>--set name=value</c> takes).</summary>
public sealed record Setting(string Name, string Value)
{
    /// <summary>The setting as <c>--set</c> takes it: <c>name=value</c>.</summary>
    public override string ToString() => $"{Name}={Value}";
}
