using System.Diagnostics;
using System.Text.Json.Nodes;
using Sapling.Autograd;
using Sapling.NN;
using Sapling.Optim;

namespace Sapling.Cli.Bench;

/// <summary>
/// One training step of the reference CNN (28×28×1 → conv 1→32 3×3 → pool → conv 32→64 3×3 → pool → 3136→128→10,
/// batch 64, SGD with momentum) and eval throughput at batch 256. bench/pytorch/train_cnn.py runs the same network.
/// </summary>
public static class TrainBench
{
    /// <summary>
    /// Prints the reference CNN's median training-step time over <paramref name="steps"/> steps, its eval throughput,
    /// peak resident memory and gen-2 collections; returns the exit code. Only <paramref name="model"/> "cnn" exists.
    /// </summary>
    public static int Run(string model, bool json, int steps)
    {
        if (model != "cnn") throw new ArgumentException($"bench train: unknown model '{model}' (available: cnn)");
        var g = new Generator(0);
        var net = new Sequential(
            new Conv2d(1, 32, 3, padding: 1, generator: g), new ReLU(), new MaxPool2d(2),
            new Conv2d(32, 64, 3, padding: 1, generator: g), new ReLU(), new MaxPool2d(2),
            new Flatten(), new Linear(3136, 128, generator: g), new ReLU(), new Linear(128, 10, generator: g));
        var optimizer = new Sgd(net.Parameters(), lr: 0.01, momentum: 0.9);
        var x = Tensor.Randn([64, 1, 28, 28], g);
        var y = Tensor.RandInt(0, 10, [64], g);
        Tensor Loss() => Tensor.CrossEntropy(net.Forward(x), y);
        double stepMs = Timing.MedianStepMilliseconds(net, optimizer, Loss, steps, warmup: 5);
        int gen2Before = GC.CollectionCount(2);
        Timing.MedianStepMilliseconds(net, optimizer, Loss, 10, warmup: 0);
        int gen2 = GC.CollectionCount(2) - gen2Before;

        net.Eval();
        var evalX = Tensor.Randn([256, 1, 28, 28], g);
        double evalMs = Timing.MedianMilliseconds(() =>
        {
            using var scope = new TensorScope();
            using var _ = NoGrad.Enter();
            net.Forward(evalX).ArgMax(-1);
        }, steps, warmup: 3);
        double peakMb = Process.GetCurrentProcess().PeakWorkingSet64 / (1024.0 * 1024.0);
        var result = new JsonObject
        {
            ["ms_per_step"] = Math.Round(stepMs, 3),
            ["samples_per_s"] = Math.Round(64 / stepMs * 1000, 1),
            ["eval_samples_per_s"] = Math.Round(256 / evalMs * 1000, 1),
            ["peak_rss_mb"] = Math.Round(peakMb, 1),
            ["gen2_per_10_steps"] = gen2,
            ["blas"] = Backends.Cpu.Gemm.Active.ToString().ToLowerInvariant(),
        };
        if (json) Console.WriteLine(result.ToJsonString());
        else Console.WriteLine($"CNN train step (batch 64): {stepMs:F2} ms, {64 / stepMs * 1000:F0} samples/s; eval (batch 256): {256 / evalMs * 1000:F0} samples/s; peak RSS {peakMb:F0} MB; BLAS {result["blas"]}");
        return 0;
    }
}
