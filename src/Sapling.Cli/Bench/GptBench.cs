using System.Diagnostics;
using System.Text.Json.Nodes;
using Sapling.Inference;
using Sapling.Models.Gpt;
using Sapling.Optim;

namespace Sapling.Cli.Bench;

/// <summary>
/// GPT training-step time for the two reference sizes, and KV-cached generation speed; bench/pytorch/gpt.py runs the
/// same architecture, sizes and timing rule in PyTorch.
/// </summary>
public static class GptBench
{
    /// <summary>A: vocab 4096, context 128, 4 layers, 4 heads, width 256, batch 16. B: vocab 8192, context 256, 6 layers, 6 heads, width 384, batch 8.</summary>
    public static (GptConfig Config, int Batch) Size(string name) => name.ToUpperInvariant() switch
    {
        "A" => (new GptConfig { VocabSize = 4096, NPositions = 128, NLayer = 4, NHead = 4, NEmbd = 256, EmbdPdrop = 0, AttnPdrop = 0, ResidPdrop = 0 }, 16),
        "B" => (new GptConfig { VocabSize = 8192, NPositions = 256, NLayer = 6, NHead = 6, NEmbd = 384, EmbdPdrop = 0, AttnPdrop = 0, ResidPdrop = 0 }, 8),
        _ => throw new ArgumentException($"unknown GPT benchmark size '{name}' (A or B)"),
    };

    /// <summary>
    /// Prints the median training-step time, tokens/s and peak resident memory of a freshly initialised GPT of
    /// <paramref name="size"/> (A or B) over <paramref name="steps"/> timed steps; returns the exit code.
    /// </summary>
    public static int Train(string size, bool json, int steps)
    {
        var (config, batch) = Size(size);
        var g = new Generator(0);
        var model = new GptModel(config, g);
        var x = Tensor.RandInt(0, config.VocabSize, [batch, config.NPositions], g);
        var y = Tensor.RandInt(0, config.VocabSize, [batch, config.NPositions], g);
        double ms = Timing.MedianStepMilliseconds(model, new AdamW(model.Parameters(), lr: 3e-4, weightDecay: 0.1),
            () => Tensor.CrossEntropy(model.Forward(x).Reshape(-1, config.VocabSize), y.Reshape(-1)), steps, warmup: 3, gradClip: 1f);
        double peak = Process.GetCurrentProcess().PeakWorkingSet64 / (1024.0 * 1024.0);
        var result = new JsonObject
        {
            ["config"] = size.ToUpperInvariant(), ["ms_per_step"] = Math.Round(ms, 2),
            ["tokens_per_s"] = Math.Round(batch * config.NPositions / ms * 1000, 1), ["peak_rss_mb"] = Math.Round(peak, 1),
        };
        Console.WriteLine(json ? result.ToJsonString() : $"GPT {size}: {ms:F1} ms/step, {batch * config.NPositions / ms * 1000:F0} tokens/s, peak RSS {peak:F0} MB");
        return 0;
    }

    /// <summary>Batch 1, a 16-token prompt and 128 new tokens, greedy, config A; with the KV cache or recomputing every prefix.</summary>
    public static int Generate(bool json, bool noCache, int repeats)
    {
        var (config, _) = Size("A");
        var model = new GptModel(config, new Generator(0));
        var prompt = Enumerable.Range(1, 16).ToArray();
        const int newTokens = 112; // 16 + 112 fills the 128-token context of config A
        double ms = Timing.MedianMilliseconds(() =>
        {
            if (noCache) GenerateWithoutCache(model, prompt, newTokens);
            else TextGenerator.Generate(model, prompt, new SamplingOptions { MaxNewTokens = newTokens, Temperature = 0 });
        }, repeats, warmup: 1);
        double peak = Process.GetCurrentProcess().PeakWorkingSet64 / (1024.0 * 1024.0);
        var result = new JsonObject { ["tokens_per_s"] = Math.Round(newTokens / ms * 1000, 1), ["kv_cache"] = !noCache, ["peak_rss_mb"] = Math.Round(peak, 1) };
        Console.WriteLine(json ? result.ToJsonString() : $"generation (config A, batch 1, 16 + {newTokens} tokens, {(noCache ? "no cache" : "KV cache")}): {newTokens / ms * 1000:F0} tokens/s");
        return 0;
    }

    private static void GenerateWithoutCache(GptModel model, int[] prompt, int newTokens)
    {
        using var _ = Autograd.NoGrad.Enter();
        model.Eval();
        var tokens = prompt.Select(t => (long)t).ToList();
        for (int i = 0; i < newTokens; i++)
        {
            using var scope = new TensorScope();
            var logits = model.Forward(Tensor.FromArray(tokens.ToArray(), 1, tokens.Count));
            tokens.Add(logits.Select(1, tokens.Count - 1).ArgMax(-1).ToArray<long>()[0]);
        }
    }
}
