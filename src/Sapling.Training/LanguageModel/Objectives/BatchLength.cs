namespace Sapling.Training.LanguageModel.Objectives;

/// <summary>Padded batch lengths: rounded up to a multiple of 16 (within the context), so variable-length batches
/// come in a few shapes that the tensor pool can reuse instead of a new buffer size per batch.</summary>
public static class BatchLength
{
    /// <summary>The multiple padded lengths are rounded up to.</summary>
    public const int Granularity = 16;

    /// <summary>
    /// The padded length for a batch whose longest row has <paramref name="longest"/> tokens: rounded up to a multiple
    /// of <see cref="Granularity"/>, at most <paramref name="context"/>.
    /// </summary>
    public static int Bucket(int longest, int context) => Math.Min(context, (longest + Granularity - 1) / Granularity * Granularity);
}
