using System.Diagnostics;
using Sapling.NN;
using Sapling.Optim;
using Sapling.Training;

namespace Sapling.Cli.Bench;

/// <summary>Wall-clock medians: this machine is noisy, so one sample means little and the median of many means more.</summary>
public static class Timing
{
    /// <summary>
    /// Runs <paramref name="action"/> <paramref name="warmup"/> times untimed, then <paramref name="repeats"/> times,
    /// and returns the median of the timed runs in milliseconds.
    /// </summary>
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
        return Median(samples);
    }

    /// <summary>
    /// The median time of a training step as the one trainer takes it (forward, backward, the gradient norm it guards
    /// with, the optimiser): <paramref name="warmup"/> + <paramref name="repeats"/> steps of <paramref name="loss"/>,
    /// each timed from the end of the step before.
    /// </summary>
    public static double MedianStepMilliseconds(Module network, Optimizer optimizer, Func<Tensor> loss, int repeats, int warmup, float? gradClip = null)
    {
        var samples = new double[repeats];
        int finished = 0;
        long mark = Stopwatch.GetTimestamp();
        var recipe = new FixedStepsRecipe(network, warmup + repeats, _ => loss())
        {
            AfterStep = () =>
            {
                long now = Stopwatch.GetTimestamp();
                if (finished >= warmup) samples[finished - warmup] = Stopwatch.GetElapsedTime(mark, now).TotalMilliseconds;
                mark = now;
                finished++;
            },
        };
        if (new Trainer(recipe, optimizer) { GradClip = gradClip }.Fit().Diverged) throw new InvalidOperationException("the benchmark's training diverged");
        return Median(samples);
    }

    private static double Median(double[] samples)
    {
        Array.Sort(samples);
        int n = samples.Length;
        return n % 2 == 1 ? samples[n / 2] : (samples[n / 2 - 1] + samples[n / 2]) / 2;
    }
}
