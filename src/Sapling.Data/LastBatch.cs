namespace Sapling.Data;

/// <summary>What to do with a last batch smaller than the batch size.</summary>
public enum LastBatch
{
    Keep,
    Drop,
}
