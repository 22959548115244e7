namespace Sapling.Distributed.Tests;

/// <summary>
/// A stand-in for <paramref name="ranks"/> identical replicas: an all-reduce multiplies by the rank count, as a sum of
/// equal contributions would. It records every all-reduce so tests can see the buckets and the thread they ran on.
/// </summary>
internal sealed class FakeGroup(int ranks, bool threads = true) : IProcessGroup
{
    public List<(int Length, int ThreadId)> AllReduces { get; } = [];
    public int Rank => 0;
    public int Size => ranks;
    public int LocalSize => ranks;
    public bool SupportsCallsFromOtherThreads => threads;

    public void AllReduceSum(Span<float> data)
    {
        lock (AllReduces) AllReduces.Add((data.Length, Environment.CurrentManagedThreadId));
        foreach (ref var x in data) x *= ranks;
    }

    public void AllReduceSum(Span<double> data)
    {
        foreach (ref var x in data) x *= ranks;
    }

    public void Barrier()
    {
    }

    public void Broadcast<T>(Span<T> data, int root = 0) where T : unmanaged
    {
    }

    public void AllGather(ReadOnlySpan<long> mine, Span<long> all)
    {
        for (int r = 0; r < ranks; r++) mine.CopyTo(all[(r * mine.Length)..]);
    }

    public void Abort(int exitCode) => throw new InvalidOperationException($"aborted with {exitCode}");

    public void Dispose()
    {
    }
}
