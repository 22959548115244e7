using System.Text.Json;
using Sapling.Inference;
using Sapling.Models.Gpt;
using Sapling.NN;

namespace Sapling.Cli.Bench;

/// <summary>
/// How continuous batching scales on one machine: the time of one decode step for B sequences that each have their
/// own KV cache (what <c>sapling serve</c> runs), and the time to sample B tokens from its logits.
/// </summary>
public static class DecodeBench
{
    /// <summary>
    /// Loads the GPT folder, gives every sequence a cache already holding <paramref name="past"/> positions, and prints
    /// the median decode-step and sampling times for each batch size, as a table or JSON; returns the exit code.
    /// </summary>
    public static int Run(string modelDirectory, int[] batches, int past, int repeats, bool json)
    {
        var model = GptFolder.Load(modelDirectory);
        var rows = new List<object>();
        if (!json) Console.WriteLine($"{"batch",5} {"step ms",9} {"sample ms",10} {"tokens/s",9} {"vs batch 1",10}");
        double single = 0;
        foreach (int batch in batches)
        {
            var caches = Enumerable.Range(0, batch).Select(b => Prefill(model, past, b)).ToArray();
            var tokens = Enumerable.Range(0, batch).Select(b => b % model.Config.VocabSize).ToArray();
            float[] logits = [];
            double step = Timing.MedianMilliseconds(() =>
            {
                foreach (var c in caches) c.Truncate(past);
                using var scope = new TensorScope();
                logits = BatchedDecode.Step(model, tokens, caches).ToArray();
            }, repeats);
            var sampling = new SamplingOptions { Temperature = 0.8f, TopP = 0.95f };
            var g = new Generator(1);
            int vocab = model.Config.VocabSize;
            double sample = Timing.MedianMilliseconds(() =>
            {
                for (int b = 0; b < batch; b++) TextGenerator.Pick(logits.AsSpan(b * vocab, vocab).ToArray(), [], sampling, g);
            }, repeats);
            double perSecond = batch * 1000 / (step + sample);
            if (batch == 1) single = perSecond;
            rows.Add(new { batch, step_ms = Math.Round(step, 3), sample_ms = Math.Round(sample, 3), tokens_per_second = Math.Round(perSecond, 1) });
            if (!json) Console.WriteLine($"{batch,5} {step,9:F3} {sample,10:F3} {perSecond,9:F1} {(single > 0 ? perSecond / single : 0),9:F2}x");
        }
        if (json) Console.WriteLine(JsonSerializer.Serialize(rows, Training.Runs.JsonNumbers.Options));
        return 0;
    }

    private static KvCache Prefill(GptModel model, int length, int seed)
    {
        var cache = model.NewCache(1);
        var ids = Enumerable.Range(0, length).Select(i => (long)((i * 31 + seed) % model.Config.VocabSize)).ToArray();
        using var scope = new TensorScope();
        using var noGrad = Autograd.NoGrad.Enter();
        model.Forward(Tensor.FromArray(ids, 1, length), cache);
        return cache;
    }
}
