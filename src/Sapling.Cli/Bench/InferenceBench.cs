using System.Text.Json.Nodes;
using Sapling.Autograd;
using Sapling.Backends.Cpu;
using Sapling.Inference;
using Sapling.Models;
using Sapling.Models.Classifiers;
using Sapling.Models.Gpt;

namespace Sapling.Cli.Bench;

/// <summary>
/// Inference speed of a model folder as it loads (float32, int8-quantized or pruned), so compressed and original
/// folders are timed by the same code: a GPT's KV-cached greedy generation (batch 1) and a batched full-context forward,
/// a classifier's batch throughput. Inputs are synthetic; only the time matters here.
/// </summary>
public static class InferenceBench
{
    /// <summary>
    /// Times the model folder at <paramref name="directory"/> and prints the result, as text or JSON; returns the exit
    /// code. With <paramref name="configPath"/> (its training config) it also reports quality on the held-out split.
    /// </summary>
    public static int Run(string directory, string? configPath, bool json, int repeats)
    {
        var result = new JsonObject { ["model"] = directory, ["int8_path"] = Int8Gemm.BestPath.ToString(),
            ["weights_bytes"] = new FileInfo(Path.Combine(directory, "model.safetensors")).Length };
        if (ModelFolder.KindOf(directory) == ModelKind.Classifier)
        {
            var classifier = ClassifierFolder.Load(directory);
            if (configPath != null)
            {
                result["test_accuracy"] = ModelQuality.TestAccuracy(classifier, configPath);
                if (!json) Console.WriteLine($"{directory}: test accuracy {(double)result["test_accuracy"]!:P2}");
            }
            const int batch = 256;
            var shape = new[] { batch }.Concat(classifier.Config.InputShape).ToArray();
            var x = Tensor.Rand(shape, new Generator(0));
            double ms = Timing.MedianMilliseconds(() =>
            {
                using var scope = new TensorScope();
                using var _ = NoGrad.Enter();
                classifier.Module.Forward(x);
            }, repeats, warmup: 3);
            result["batch"] = batch;
            result["examples_per_s"] = Math.Round(batch / ms * 1000, 1);
            if (!json) Console.WriteLine($"{directory}: {batch / ms * 1000:F0} examples/s (batch {batch}, median of {repeats})");
        }
        else
        {
            var model = GptFolder.Load(directory);
            var config = model.Config;
            if (configPath != null)
            {
                result["validation_perplexity"] = ModelQuality.ValidationPerplexity(model, directory, configPath);
                if (!json) Console.WriteLine($"{directory}: validation perplexity {(double)result["validation_perplexity"]!:F2}");
            }
            int promptLength = Math.Min(16, config.NPositions / 4), newTokens = config.NPositions - promptLength;
            var prompt = Enumerable.Range(0, promptLength).Select(i => 1 + i % (config.VocabSize - 1)).ToArray();
            double generateMs = Timing.MedianMilliseconds(
                () => TextGenerator.Generate(model, prompt, new SamplingOptions { MaxNewTokens = newTokens, Temperature = 0 }), repeats, warmup: 1);
            const int batch = 16;
            var ids = Tensor.RandInt(0, config.VocabSize, [batch, config.NPositions], new Generator(0));
            double forwardMs = Timing.MedianMilliseconds(() =>
            {
                using var scope = new TensorScope();
                using var _ = NoGrad.Enter();
                model.Forward(ids);
            }, repeats, warmup: 2);
            result["generate_tokens_per_s"] = Math.Round(newTokens / generateMs * 1000, 1);
            result["forward_tokens_per_s"] = Math.Round(batch * config.NPositions / forwardMs * 1000, 1);
            if (!json)
                Console.WriteLine($"{directory}: KV-cache generation {newTokens / generateMs * 1000:F0} tokens/s (batch 1, {promptLength} + {newTokens}); " +
                    $"batched forward {batch * config.NPositions / forwardMs * 1000:F0} tokens/s (batch {batch} × {config.NPositions}); medians of {repeats}");
        }
        if (json) Console.WriteLine(result.ToJsonString());
        return 0;
    }
}
