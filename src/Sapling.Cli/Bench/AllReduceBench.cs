using System.Diagnostics;
using System.Globalization;
using Sapling.Distributed;

namespace Sapling.Cli.Bench;

/// <summary>
/// <c>sapling bench allreduce --nproc N</c>: time MPI all-reduce (sum, float32, in place) of gradient-sized buffers,
/// for the scaling projection in docs/benchmarks.md. Bus bandwidth is nccl-tests' figure, 2(n-1)/n × bytes / time:
/// what each rank's link carried in a ring all-reduce, comparable across rank counts.
/// </summary>
public static class AllReduceBench
{
    /// <summary>
    /// Times the in-place all-reduce for each buffer size in <paramref name="megabytes"/> (MB of float32) and prints
    /// rank 0's table; returns the exit code. Refuses a group of fewer than 2 ranks.
    /// </summary>
    public static int Run(double[] megabytes, int repeats)
    {
        using var group = ProcessGroups.FromEnvironment(ProcessGroups.CurrentEnvironment());
        if (group.Size < 2) throw new InvalidOperationException("bench allreduce needs at least 2 ranks: run it with --nproc N or under mpirun");
        if (group.Rank == 0) Console.WriteLine($"{"MB",8} {"median ms",10} {"algo GB/s",10} {"bus GB/s",10}   ({group.Size} ranks)");
        foreach (double mb in megabytes)
        {
            var buffer = new float[Math.Max(1, (int)(mb * 1024 * 1024 / sizeof(float)))];
            Array.Fill(buffer, 1f);
            group.AllReduceSum(buffer); // warm-up: connections and registrations
            var times = new double[repeats];
            for (int i = 0; i < repeats; i++)
            {
                group.Barrier();
                long start = Stopwatch.GetTimestamp();
                group.AllReduceSum(buffer);
                times[i] = Stopwatch.GetElapsedTime(start).TotalSeconds;
            }
            Array.Sort(times);
            // The ranks' medians, averaged: each rank's clock sees the same collective from its own side.
            Span<double> reduce = [times[repeats / 2]];
            group.AllReduceSum(reduce);
            double median = reduce[0] / group.Size;
            double bytes = buffer.Length * 4.0;
            if (group.Rank == 0)
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{mb,8:G4} {median * 1000,10:F3} {bytes / median / 1e9,10:F2} {2.0 * (group.Size - 1) / group.Size * bytes / median / 1e9,10:F2}"));
        }
        return 0;
    }
}
