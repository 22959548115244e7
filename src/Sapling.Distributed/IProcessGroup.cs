namespace Sapling.Distributed;

/// <summary>
/// The processes that train one model together (torch.distributed's process group): each has a rank in
/// [0, <see cref="Size"/>), and every collective must be called by all of them, in the same order.
/// </summary>
public interface IProcessGroup : IDisposable
{
    /// <summary>This process's rank, in [0, <see cref="Size"/>).</summary>
    int Rank { get; }

    /// <summary>Number of processes in the group.</summary>
    int Size { get; }

    /// <summary>Processes of the group on this machine (they share its cores).</summary>
    int LocalSize { get; }

    /// <summary>
    /// Whether a collective may be called from a thread other than the one that created the group (one thread at a
    /// time); data parallelism then all-reduces on a thread of its own, overlapping backward.
    /// </summary>
    bool SupportsCallsFromOtherThreads { get; }

    /// <summary>Returns once every rank has called it.</summary>
    void Barrier();

    /// <summary>Replaces <paramref name="data"/> on every rank with <paramref name="root"/>'s.</summary>
    void Broadcast<T>(Span<T> data, int root = 0) where T : unmanaged;

    /// <summary>Replaces <paramref name="data"/> on every rank with the element-wise sum over ranks.</summary>
    void AllReduceSum(Span<float> data);

    /// <inheritdoc cref="AllReduceSum(Span{float})"/>
    void AllReduceSum(Span<double> data);

    /// <summary>Every rank's <paramref name="mine"/>, in rank order, in <paramref name="all"/> (Size × mine.Length values).</summary>
    void AllGather(ReadOnlySpan<long> mine, Span<long> all);

    /// <summary>Ends every process of the group at once with <paramref name="exitCode"/> (a failed rank must not leave the others waiting).</summary>
    void Abort(int exitCode);
}
