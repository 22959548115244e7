using System.Runtime.InteropServices;

namespace Sapling.Distributed;

/// <summary>
/// MPI_COMM_WORLD of a process started by <c>mpirun</c>, through Open MPI. Creating it initialises MPI (asking for
/// MPI_THREAD_SERIALIZED, so gradients can be all-reduced on a communication thread); disposing it finalises MPI.
/// </summary>
public sealed unsafe class MpiProcessGroup : IProcessGroup
{
    // MPI counts are C ints; larger buffers go in slices of this many elements.
    private const int MaxCount = 1 << 30;

    private readonly MpiLibrary mpi;
    private bool disposed;

    private MpiProcessGroup(MpiLibrary mpi, int localSize)
    {
        this.mpi = mpi;
        int initialized;
        MpiLibrary.Check(mpi.Initialized(&initialized), "MPI_Initialized");
        int provided = ThreadLevelWhenAlreadyInitialized;
        if (initialized == 0) MpiLibrary.Check(mpi.InitThread(null, null, MpiLibrary.ThreadSerialized, &provided), "MPI_Init_thread");
        SupportsCallsFromOtherThreads = provided >= MpiLibrary.ThreadSerialized;
        int rank, size;
        MpiLibrary.Check(mpi.CommRank(mpi.CommWorld, &rank), "MPI_Comm_rank");
        MpiLibrary.Check(mpi.CommSize(mpi.CommWorld, &size), "MPI_Comm_size");
        (Rank, Size, LocalSize) = (rank, size, Math.Clamp(localSize, 1, size));
    }

    // A caller that initialised MPI itself is trusted to have asked for at least this.
    private const int ThreadLevelWhenAlreadyInitialized = MpiLibrary.ThreadSerialized;

    /// <summary>Initialises MPI; throws with what to install when Open MPI's library is missing.</summary>
    /// <param name="localSize">Ranks on this machine (mpirun's OMPI_COMM_WORLD_LOCAL_SIZE).</param>
    public static MpiProcessGroup Create(int localSize = 1)
    {
        var mpi = MpiLibrary.TryLoad(out var reason) ?? throw new InvalidOperationException($"MPI is not available: {reason}");
        return new MpiProcessGroup(mpi, localSize);
    }

    /// <summary>Whether Open MPI's library can be loaded, with the reason when not.</summary>
    public static bool IsAvailable(out string? reason) => MpiLibrary.TryLoad(out reason) != null;

    /// <inheritdoc/>
    public int Rank { get; }
    /// <inheritdoc/>
    public int Size { get; }
    /// <inheritdoc/>
    public int LocalSize { get; }
    /// <inheritdoc/>
    public bool SupportsCallsFromOtherThreads { get; }

    /// <inheritdoc/>
    public void Barrier() => MpiLibrary.Check(mpi.BarrierFn(mpi.CommWorld), "MPI_Barrier");

    /// <inheritdoc/>
    public void Broadcast<T>(Span<T> data, int root = 0) where T : unmanaged
    {
        if (root < 0 || root >= Size) throw new ArgumentOutOfRangeException(nameof(root), $"Broadcast: root {root} is not a rank of a group of {Size}");
        var bytes = MemoryMarshal.AsBytes(data);
        for (int start = 0; start < bytes.Length; start += MaxCount)
        {
            int count = Math.Min(MaxCount, bytes.Length - start);
            fixed (byte* p = bytes.Slice(start, count)) MpiLibrary.Check(mpi.Bcast(p, count, mpi.Byte, root, mpi.CommWorld), "MPI_Bcast");
        }
    }

    /// <inheritdoc/>
    public void AllReduceSum(Span<float> data)
    {
        for (int start = 0; start < data.Length; start += MaxCount)
        {
            int count = Math.Min(MaxCount, data.Length - start);
            fixed (float* p = data.Slice(start, count)) MpiLibrary.Check(mpi.Allreduce((void*)MpiLibrary.InPlace, p, count, mpi.Float, mpi.Sum, mpi.CommWorld), "MPI_Allreduce");
        }
    }

    /// <inheritdoc/>
    public void AllReduceSum(Span<double> data)
    {
        for (int start = 0; start < data.Length; start += MaxCount)
        {
            int count = Math.Min(MaxCount, data.Length - start);
            fixed (double* p = data.Slice(start, count)) MpiLibrary.Check(mpi.Allreduce((void*)MpiLibrary.InPlace, p, count, mpi.Double, mpi.Sum, mpi.CommWorld), "MPI_Allreduce");
        }
    }

    /// <inheritdoc/>
    public void AllGather(ReadOnlySpan<long> mine, Span<long> all)
    {
        if (all.Length != mine.Length * Size) throw new ArgumentException($"AllGather: the output holds {all.Length} values, expected {Size} × {mine.Length}");
        if (mine.Length > MaxCount / Size) throw new ArgumentException($"AllGather: {mine.Length} values per rank is more than one call can carry");
        fixed (long* send = mine)
        fixed (long* receive = all)
            MpiLibrary.Check(mpi.Allgather(send, mine.Length, mpi.Long, receive, mine.Length, mpi.Long, mpi.CommWorld), "MPI_Allgather");
    }

    /// <inheritdoc/>
    public void Abort(int exitCode)
    {
        Console.Out.Flush();
        Console.Error.Flush();
        mpi.AbortFn(mpi.CommWorld, exitCode);
        // MPI_Abort does not return; should an implementation return anyway, the process still must not continue.
        Environment.Exit(exitCode);
    }

    /// <summary>Finalises MPI unless it already is; after this no MPI call can be made in this process.</summary>
    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        int finalized;
        if (mpi.Finalized(&finalized) == MpiLibrary.Success && finalized == 0) mpi.FinalizeFn();
    }
}
