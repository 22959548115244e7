namespace Sapling.Data;

/// <summary>A random-access collection of (input, label) examples.</summary>
public interface IDataset
{
    /// <summary>Number of examples; valid indices are 0 to Count − 1.</summary>
    int Count { get; }

    /// <summary>Shape of one example's input, e.g. [64] or [1, 8, 8].</summary>
    int[] ExampleShape { get; }

    /// <summary>Builds a batch from the examples at <paramref name="indices"/>: inputs [B, ...] float32 and labels [B] int64.</summary>
    (Tensor Inputs, Tensor Labels) GetBatch(ReadOnlySpan<long> indices);

    /// <summary>Every example's label, in order (for stratified splits and class counts).</summary>
    long[] Labels { get; }
}
