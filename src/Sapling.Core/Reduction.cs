namespace Sapling;

/// <summary>How per-element losses are combined.</summary>
public enum Reduction
{
    Mean,
    Sum,
    None,
}
