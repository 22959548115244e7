namespace Sapling.Distributed;

/// <summary>A group of one: every collective is the identity, so training with it is training without a group.</summary>
public sealed class SingleProcessGroup : IProcessGroup
{
    /// <summary>The one instance; it is stateless, so it can be shared.</summary>
    public static SingleProcessGroup Instance { get; } = new();

    /// <inheritdoc/>
    public int Rank => 0;
    /// <inheritdoc/>
    public int Size => 1;
    /// <inheritdoc/>
    public int LocalSize => 1;
    /// <inheritdoc/>
    public bool SupportsCallsFromOtherThreads => true;

    /// <inheritdoc/>
    public void Barrier()
    {
    }

    /// <inheritdoc/>
    public void Broadcast<T>(Span<T> data, int root = 0) where T : unmanaged
    {
        if (root != 0) throw new ArgumentOutOfRangeException(nameof(root), $"a single-process group has only rank 0, not {root}");
    }

    /// <inheritdoc/>
    public void AllReduceSum(Span<float> data)
    {
    }

    /// <inheritdoc/>
    public void AllReduceSum(Span<double> data)
    {
    }

    /// <inheritdoc/>
    public void AllGather(ReadOnlySpan<long> mine, Span<long> all)
    {
        if (all.Length != mine.Length) throw new ArgumentException($"AllGather: the output holds {all.Length} values, expected {mine.Length}");
        mine.CopyTo(all);
    }

    /// <inheritdoc/>
    public void Abort(int exitCode) => Environment.Exit(exitCode);

    /// <summary>Does nothing: the group holds no resources.</summary>
    public void Dispose()
    {
    }
}
