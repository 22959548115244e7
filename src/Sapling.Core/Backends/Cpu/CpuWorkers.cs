using System.Diagnostics;
using System.Runtime.ExceptionServices;

namespace Sapling.Backends.Cpu;

/// <summary>
/// Persistent worker pool for compute kernels. A dispatch costs no allocation and, while the
/// workers are still spinning from the previous dispatch, well under a microsecond of latency;
/// idle workers block so they do not burn a core between bursts of work.
/// </summary>
/// <remarks>
/// Parts are handed out dynamically, so a worker that is descheduled by a noisy neighbour does
/// not hold the whole dispatch hostage. Only one dispatch uses the pool at a time: a concurrent
/// caller, and any call made from inside a part, runs its parts inline on its own thread.
/// </remarks>
public static class CpuWorkers
{
    // How long an idle worker polls for new work before it blocks. Back-to-back kernels (the
    // common case in a training step) then start without paying an OS wake-up.
    private static readonly long SpinTicks = Stopwatch.Frequency / 10_000; // 100 µs

    // State packs the dispatch generation (high 32 bits) and the next unclaimed part (low 32
    // bits) so that a claim made by a late worker can never be credited to a newer dispatch.
    private const int ClosedPart = int.MaxValue;

    private static readonly object DispatchLock = new();
    private static readonly object SleepGate = new();
    private static readonly List<Thread> Workers = [];

    private static int s_threads = Environment.ProcessorCount;
    private static int s_participatingWorkers;
    private static long s_state = ClosedPart;
    private static IParallelWork? s_work;
    private static int s_parts;
    private static int s_partsDone;
    private static int s_sleepers;
    private static ExceptionDispatchInfo? s_failure;

    [ThreadStatic] private static bool t_insideDispatch;

    /// <summary>Number of threads (the caller included) a dispatch may use; 1 runs everything serially.</summary>
    public static int Threads
    {
        get => Volatile.Read(ref s_threads);
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            Volatile.Write(ref s_threads, value);
        }
    }

    /// <summary>True on a pool worker, or on a caller while it is running parts of a dispatch.</summary>
    public static bool IsInsideDispatch => t_insideDispatch;

    /// <summary>Runs <c>work.Run(p)</c> for every p in [0, parts) on the pool plus the calling thread.</summary>
    /// <remarks>Allocation-free: callers are expected to cache and reuse <paramref name="work"/>.</remarks>
    public static void Run<T>(int parts, T work) where T : class, IParallelWork
    {
        ArgumentNullException.ThrowIfNull(work);
        if (parts <= 0)
            return;

        int threads = Threads;
        if (parts == 1 || threads == 1 || t_insideDispatch || !Monitor.TryEnter(DispatchLock))
        {
            RunInline(parts, work);
            return;
        }

        try
        {
            Dispatch(parts, work, threads);
        }
        finally
        {
            Monitor.Exit(DispatchLock);
        }
    }

    /// <summary>Convenience overload for code that is not hot enough to care about one allocation per call.</summary>
    public static void For(int parts, Action<int> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        Run(parts, new DelegateWork(body));
    }

    private static void RunInline(int parts, IParallelWork work)
    {
        for (int part = 0; part < parts; part++)
            work.Run(part);
    }

    private static void Dispatch(int parts, IParallelWork work, int threads)
    {
        int workers = Math.Min(threads, parts) - 1;
        EnsureWorkers(workers);

        s_work = work;
        s_parts = parts;
        s_partsDone = 0;
        s_failure = null;
        s_participatingWorkers = workers;

        long generation = (Volatile.Read(ref s_state) >> 32) + 1;
        Interlocked.Exchange(ref s_state, generation << 32); // full fence: pairs with the sleeper count below
        if (Volatile.Read(ref s_sleepers) > 0)
        {
            lock (SleepGate)
                Monitor.PulseAll(SleepGate);
        }

        t_insideDispatch = true;
        try
        {
            ClaimAndRun(generation, work, parts);
        }
        finally
        {
            t_insideDispatch = false;
        }

        WaitUntilDone(parts);

        // Close the generation before the shared slots are reused, so a worker that read this
        // dispatch's generation late cannot claim a part of the next one.
        Interlocked.Exchange(ref s_state, (generation << 32) | ClosedPart);
        s_work = null;
        s_failure?.Throw();
    }

    private static void ClaimAndRun(long generation, IParallelWork work, int parts)
    {
        while (true)
        {
            long state = Volatile.Read(ref s_state);
            int next = (int)(state & 0xFFFF_FFFF);
            if ((state >> 32) != generation || next >= parts)
                return;
            if (Interlocked.CompareExchange(ref s_state, state + 1, state) != state)
                continue;

            try
            {
                work.Run(next);
            }
            catch (Exception e)
            {
                Interlocked.CompareExchange(ref s_failure, ExceptionDispatchInfo.Capture(e), null);
            }

            Interlocked.Increment(ref s_partsDone);
        }
    }

    private static void WaitUntilDone(int parts)
    {
        var spinner = new SpinWait();
        while (Volatile.Read(ref s_partsDone) < parts)
            spinner.SpinOnce(sleep1Threshold: -1);
    }

    private static void EnsureWorkers(int count)
    {
        while (Workers.Count < count)
        {
            int index = Workers.Count;

            // Captured before this dispatch is published, so a slow-starting thread still joins it.
            long seen = Volatile.Read(ref s_state) >> 32;
            var thread = new Thread(() => WorkerLoop(index, seen))
            {
                IsBackground = true,
                Name = $"Sapling CPU worker {index}",
            };
            Workers.Add(thread);
            thread.Start();
        }
    }

    private static void WorkerLoop(int index, long seen)
    {
        t_insideDispatch = true; // nested dispatches from a part run inline
        while (true)
        {
            seen = WaitForNewGeneration(seen);
            if (index >= Volatile.Read(ref s_participatingWorkers))
                continue;

            // These may already belong to a newer dispatch; ClaimAndRun re-checks the generation
            // atomically with every claim, so a stale read only means claiming nothing.
            IParallelWork? work = Volatile.Read(ref s_work);
            int parts = Volatile.Read(ref s_parts);
            if (work is not null)
                ClaimAndRun(seen, work, parts);
        }
    }

    private static long WaitForNewGeneration(long seen)
    {
        long start = Stopwatch.GetTimestamp();
        long generation;
        while ((generation = Volatile.Read(ref s_state) >> 32) == seen)
        {
            if (Stopwatch.GetTimestamp() - start > SpinTicks)
                return BlockForNewGeneration(seen);
            Thread.SpinWait(16);
        }

        return generation;
    }

    private static long BlockForNewGeneration(long seen)
    {
        lock (SleepGate)
        {
            // Announce before re-checking (full fence), so the dispatcher either sees a sleeper
            // and pulses, or this thread sees the new generation: a wake-up is never lost.
            Interlocked.Increment(ref s_sleepers);
            try
            {
                long generation;
                while ((generation = Volatile.Read(ref s_state) >> 32) == seen)
                    Monitor.Wait(SleepGate);
                return generation;
            }
            finally
            {
                Interlocked.Decrement(ref s_sleepers);
            }
        }
    }

    private sealed class DelegateWork(Action<int> body) : IParallelWork
    {
        public void Run(int part) => body(part);
    }
}
