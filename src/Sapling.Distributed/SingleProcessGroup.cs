namespace Sapling.Distributed;

/// <summary>A group of one: every collective is the identity, so training with it is training without a group.</summary>
public sealed class SingleProcessGroup : IProcessGroup
{
    public static SingleProcessGroup Instance { get; } = new();

    public int Rank => 0;
    public int Size => 1;
    public int LocalSize => 1;
    public bool SupportsCallsFromOtherThreads => true;

    public void Barrier()
    {
    }

    public void Broadcast<T>(Span<T> data, int root = 0) where T : unmanaged
    {
        if (root != 0) throw new ArgumentOutOfRangeException(nameof(root), $"a single-process group has only rank 0, not {root}");
    }

    public void AllReduceSum(Span<float> data)
    {
    }

    public void AllReduceSum(Span<double> data)
    {
    }

    public void AllGather(ReadOnlySpan<long> mine, Span<long> all)
    {
        if (all.Length != mine.Length) throw new ArgumentException($"AllGather: the output holds {all.Length} values, expected {mine.Length}");
        mine.CopyTo(all);
    }

    public void Abort(int exitCode) => Environment.Exit(exitCode);

    public void Dispose()
    {
    }
}
