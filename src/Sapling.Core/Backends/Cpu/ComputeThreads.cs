namespace Sapling.Backends.Cpu;

/// <summary>How many threads a matrix product or kernel may use, set once for both the managed kernels and OpenBLAS.</summary>
public static class ComputeThreads
{
    /// <summary>
    /// Sets the thread count (at least 1) for the managed kernels' workers and, where it is loaded, OpenBLAS.
    /// </summary>
    public static void Set(int threads)
    {
        if (threads < 1) throw new ArgumentOutOfRangeException(nameof(threads), $"compute threads must be ≥ 1, got {threads}");
        CpuWorkers.Threads = threads;
        if (OpenBlasNative.IsAvailable) OpenBlasNative.SetThreads(threads);
    }
}
