using System.Text.Json.Nodes;

namespace Sapling.Cli.Bench;

/// <summary>
/// Forward+backward time of the fused neural-network ops at GPT-sized shapes. bench/pytorch/ops.py times the same ops
/// with the same shapes in PyTorch, and bench/compare-ops.sh runs the two side by side.
/// </summary>
public static class OpsBench
{
    /// <summary>
    /// Prints the median forward+backward time and garbage collections per step of each op, as a table or JSON; returns
    /// the exit code.
    /// </summary>
    public static int Run(bool json, int repeats)
    {
        var rng = new Generator(3);
        var cases = new List<(string Name, string Shape, Action Step)>();

        var sx = Tensor.Randn([16, 4, 128, 128], rng).RequiresGrad_();
        var sg = Tensor.Randn([16, 4, 128, 128], rng);
        cases.Add(("softmax", "16x4x128x128", () => sx.Softmax(-1).Backward(sg)));

        var lx = Tensor.Randn([2048, 256], rng).RequiresGrad_();
        var lw = Tensor.Ones(256).RequiresGrad_();
        var lb = Tensor.Zeros(256).RequiresGrad_();
        var lg = Tensor.Randn([2048, 256], rng);
        cases.Add(("layer_norm", "2048x256", () => Tensor.LayerNorm(lx, [256], lw, lb).Backward(lg)));

        var gx = Tensor.Randn([2048, 1024], rng).RequiresGrad_();
        var gg = Tensor.Randn([2048, 1024], rng);
        cases.Add(("gelu_tanh", "2048x1024", () => gx.Gelu(tanhApproximation: true).Backward(gg)));

        var cx = Tensor.Randn([2048, 4096], rng).RequiresGrad_();
        var ct = Tensor.RandInt(0, 4096, [2048], rng);
        cases.Add(("cross_entropy", "2048x4096", () => Tensor.CrossEntropy(cx, ct).Backward()));

        var qa = Tensor.Randn([64, 128, 64], rng).RequiresGrad_();
        var ka = Tensor.Randn([64, 128, 64], rng).RequiresGrad_();
        var ag = Tensor.Randn([64, 128, 128], rng);
        cases.Add(("attention_matmul", "64x128x64 @ 64x64x128", () => qa.MatMul(ka.Transpose(1, 2)).Backward(ag)));

        // A training-like step (two-layer MLP, cross-entropy, SGD update) to count garbage collections in steady state.
        var w1 = (Tensor.Randn([512, 1024], rng) * 0.03f).RequiresGrad_();
        var w2 = (Tensor.Randn([1024, 512], rng) * 0.03f).RequiresGrad_();
        var mx = Tensor.Randn([256, 512], rng);
        var my = Tensor.RandInt(0, 512, [256], rng);
        cases.Add(("mlp_train_step", "256x512-1024-512", () =>
        {
            Tensor.CrossEntropy(Tensor.LayerNorm(mx.MatMul(w1), [1024], null, null).Gelu().MatMul(w2), my).Backward();
            using (Autograd.NoGrad.Enter())
            {
                w1.AddInPlace(w1.Grad!, -0.01f);
                w2.AddInPlace(w2.Grad!, -0.01f);
            }
            w1.ZeroGrad();
            w2.ZeroGrad();
        }));

        var rows = new JsonArray();
        foreach (var (name, shape, step) in cases)
        {
            var leaves = new[] { sx, lx, lw, lb, gx, cx, qa, ka };
            void Step()
            {
                using var scope = new TensorScope();
                step();
                foreach (var leaf in leaves) leaf.Grad = null;
            }
            for (int i = 0; i < 3; i++) Step();
            int gen0 = GC.CollectionCount(0), gen2 = GC.CollectionCount(2);
            double ms = Timing.MedianMilliseconds(Step, repeats, warmup: 0);
            rows.Add(new JsonObject
            {
                ["op"] = name, ["shape"] = shape, ["ms"] = Math.Round(ms, 3),
                ["gen0_per_step"] = Math.Round((GC.CollectionCount(0) - gen0) / (double)repeats, 2),
                ["gen2_per_step"] = Math.Round((GC.CollectionCount(2) - gen2) / (double)repeats, 2),
            });
        }
        if (json)
        {
            Console.WriteLine(rows.ToJsonString());
            return 0;
        }
        Console.WriteLine($"forward+backward, median of {repeats}, {Environment.ProcessorCount} threads");
        foreach (var r in rows)
            Console.WriteLine($"{(string)r!["op"]!,-18} {(string)r["shape"]!,-24} {(double)r["ms"]!,9:F3} ms   gen0/step {(double)r["gen0_per_step"]!:F2}  gen2/step {(double)r["gen2_per_step"]!:F2}");
        return 0;
    }
}
