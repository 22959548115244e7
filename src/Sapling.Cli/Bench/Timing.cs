using System.Diagnostics;

namespace Sapling.Cli.Bench;

/// <summary>Wall-clock medians: this machine is noisy, so one sample means little and the median of many means more.</summary>
public static class Timing
{
    public static double MedianMilliseconds(Action action, int repeats, int warmup = 2)
    {
        for (int i = 0; i < warmup; i++) action();
        var samples = new double[repeats];
        for (int i = 0; i < repeats; i++)
        {
            long start = Stopwatch.GetTimestamp();
            action();
            samples[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }
        Array.Sort(samples);
        return repeats % 2 == 1 ? samples[repeats / 2] : (samples[repeats / 2 - 1] + samples[repeats / 2]) / 2;
    }
}
