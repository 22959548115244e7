namespace Sapling.Distributed;

/// <summary>
/// Groups gradients into buckets of about <c>capBytes</c> each, to be all-reduced one bucket per call: few calls (each
/// has a fixed latency) yet a bucket can leave while backward still computes the rest. Parameters are taken in
/// reverse order of registration, the order in which backward finishes their gradients (output layer first), so the
/// first bucket is complete earliest; a parameter larger than the cap gets a bucket of its own.
/// </summary>
public sealed class GradientBuckets
{
    /// <summary>
    /// Plans the buckets for parameters of <paramref name="parameterSizes"/> float elements each (in registration
    /// order), with about <paramref name="capBytes"/> bytes per bucket.
    /// </summary>
    public GradientBuckets(IReadOnlyList<int> parameterSizes, long capBytes)
    {
        if (capBytes <= 0) throw new ArgumentOutOfRangeException(nameof(capBytes), $"bucket size must be positive, got {capBytes} bytes");
        var slots = new BucketSlot[parameterSizes.Count];
        var lengths = new List<int>();
        long capFloats = Math.Max(1, capBytes / sizeof(float));
        int bucket = -1, filled = 0;
        for (int p = parameterSizes.Count - 1; p >= 0; p--)
        {
            int size = parameterSizes[p];
            if (size < 0) throw new ArgumentException($"parameter {p} has negative size {size}");
            if (bucket < 0 || (filled > 0 && filled + (long)size > capFloats))
            {
                bucket++;
                lengths.Add(0);
                filled = 0;
            }
            slots[p] = new BucketSlot(p, bucket, filled, size);
            filled += size;
            lengths[bucket] = filled;
        }
        Slots = slots;
        BucketLengths = lengths;
        ParametersPerBucket = lengths.Select((_, b) => slots.Count(s => s.Bucket == b)).ToArray();
    }

    /// <summary>One slot per parameter, indexed like the sizes given.</summary>
    public IReadOnlyList<BucketSlot> Slots { get; }

    /// <summary>Floats in each bucket, in the order the buckets are all-reduced.</summary>
    public IReadOnlyList<int> BucketLengths { get; }

    /// <summary>Parameters in each bucket, in the order the buckets are all-reduced.</summary>
    public IReadOnlyList<int> ParametersPerBucket { get; }

    /// <summary>Number of buckets.</summary>
    public int Count => BucketLengths.Count;
}
