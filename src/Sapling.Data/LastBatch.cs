namespace Sapling.Data;

/// <summary>What to do with a last batch smaller than the batch size.</summary>
public enum LastBatch
{
    /// <summary>Yield the smaller last batch, so every example is seen each epoch.</summary>
    Keep,
    /// <summary>Skip the smaller last batch, so every batch has the full size.</summary>
    Drop,
}
