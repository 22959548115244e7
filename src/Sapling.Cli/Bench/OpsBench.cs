using System.Text.Json.Nodes;

namespace Sapling.Cli.Bench;

/// <summary>
/// Forward+backward time of the fused neural-network ops at GPT-sized shapes. bench/pytorch/ops.py times the same ops
/// with the same shapes in PyTorch, and bench/compare-ops.sh runs the two side by side.
/// </summary>
public static class OpsBench
{
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

        var rows = new JsonArray();
        foreach (var (name, shape, step) in cases)
        {
            double ms = Timing.MedianMilliseconds(() =>
            {
                using var scope = new TensorScope();
                step();
                foreach (var leaf in new[] { sx, lx, lw, lb, gx, cx, qa, ka }) leaf.Grad = null;
            }, repeats, warmup: 3);
            rows.Add(new JsonObject { ["op"] = name, ["shape"] = shape, ["ms"] = Math.Round(ms, 3) });
        }
        if (json)
        {
            Console.WriteLine(rows.ToJsonString());
            return 0;
        }
        Console.WriteLine($"forward+backward, median of {repeats}, {Environment.ProcessorCount} threads");
        foreach (var r in rows) Console.WriteLine($"{(string)r!["op"]!,-18} {(string)r["shape"]!,-24} {(double)r["ms"]!,9:F3} ms");
        return 0;
    }
}
