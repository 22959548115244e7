namespace Sapling;

/// <summary>How per-element losses are combined.</summary>
public enum Reduction
{
    /// <summary>The mean of the per-element losses (for cross-entropy, over the targets not ignored).</summary>
    Mean,
    /// <summary>The sum of the per-element losses.</summary>
    Sum,
    /// <summary>No reduction: one loss per element, in the shape of the targets.</summary>
    None,
}
