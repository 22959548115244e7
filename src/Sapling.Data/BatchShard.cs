namespace Sapling.Data;

/// <summary>
/// One process's part of every global batch in data-parallel training: the batch is cut into
/// <see cref="WorldSize"/> contiguous slices whose sizes differ by at most one (the first ranks take the extra
/// examples), so the slices of all ranks, in rank order, are exactly the batch a single process would have seen.
/// </summary>
public sealed record BatchShard
{
    /// <summary>
    /// Creates the shard of rank <paramref name="rank"/> in [0, <paramref name="worldSize"/>); throws otherwise.
    /// </summary>
    public BatchShard(int rank, int worldSize)
    {
        if (worldSize < 1) throw new ArgumentOutOfRangeException(nameof(worldSize), $"BatchShard: world size must be ≥ 1, got {worldSize}");
        if (rank < 0 || rank >= worldSize) throw new ArgumentOutOfRangeException(nameof(rank), $"BatchShard: rank must be in [0, {worldSize}), got {rank}");
        (Rank, WorldSize) = (rank, worldSize);
    }

    /// <summary>This process's index in the group, in [0, <see cref="WorldSize"/>).</summary>
    public int Rank { get; }
    /// <summary>Number of processes sharing each batch.</summary>
    public int WorldSize { get; }

    /// <summary>The whole batch: what a process that is not part of a group takes.</summary>
    public static BatchShard Whole { get; } = new(0, 1);

    /// <summary>Where this rank's slice of a batch of <paramref name="batchSize"/> examples starts, and how many it holds (possibly 0).</summary>
    public (int Offset, int Count) Range(int batchSize) => Range(batchSize, Rank, WorldSize);

    /// <summary>
    /// Where the slice of rank <paramref name="rank"/> of <paramref name="worldSize"/> starts in a batch of
    /// <paramref name="batchSize"/> examples, and how many it holds; the first <c>batchSize % worldSize</c> ranks take
    /// one extra.
    /// </summary>
    public static (int Offset, int Count) Range(int batchSize, int rank, int worldSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(batchSize);
        int quotient = batchSize / worldSize, remainder = batchSize % worldSize;
        int count = quotient + (rank < remainder ? 1 : 0);
        int offset = rank * quotient + Math.Min(rank, remainder);
        return (offset, count);
    }
}
