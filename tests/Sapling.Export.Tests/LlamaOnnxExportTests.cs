using System.Text.Json;
using Sapling.Autograd;
using Sapling.Models;
using Sapling.Models.Llama;
using Sapling.Testing;

namespace Sapling.Export.Tests;

/// <summary>
/// The Llama family (the PyTorch oracle folders of tests/fixtures/llama: llama, tied head with biases and llama3 rope,
/// linear and yarn rope, bf16 weights, Mistral's window, Qwen2 in shards, Qwen3's q/k norms) exported as Optimum's
/// decoder with past keys and values and run in ONNX Runtime: a whole batch from an empty past, the last token given
/// the earlier tokens' present tensors, and a left-padded row, all equal Sapling's logits within 1e-4.
/// </summary>
public sealed class LlamaOnnxExportTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("sapling-llama-onnx-").FullName;

    public void Dispose() => Directory.Delete(root, recursive: true);

    public static TheoryData<string> Cases => new("llama", "llama-tied-biases-llama3", "llama-linear", "llama-yarn", "llama-bf16", "mistral-window", "qwen2-sharded", "qwen3");

    private static void Near(float[] expected, (int[] Dims, float[] Data) actual, int[] dims, string what)
    {
        Assert.Equal(dims, actual.Dims);
        double worst = 0;
        for (int i = 0; i < expected.Length; i++) worst = Math.Max(worst, Math.Abs(expected[i] - actual.Data[i]));
        Assert.True(worst <= 1e-4, $"{what} differs from ONNX Runtime by {worst:E3}");
    }

    /// <summary>The graph's inputs for <paramref name="ids"/> after <paramref name="past"/> (present tensors of an earlier run, or none).</summary>
    private static Dictionary<string, Tensor> Feed(LlamaConfig config, Tensor ids, Tensor mask, Tensor positions, Dictionary<string, (int[] Dims, float[] Data)>? past)
    {
        int b = ids.Shape[0];
        var feed = new Dictionary<string, Tensor> { ["input_ids"] = ids, ["attention_mask"] = mask, ["position_ids"] = positions };
        for (int i = 0; i < config.NumHiddenLayers; i++)
            foreach (var part in new[] { "key", "value" })
                feed[$"past_key_values.{i}.{part}"] = past != null && past.TryGetValue($"present.{i}.{part}", out var p)
                    ? Tensor.FromArray(p.Data, p.Dims)
                    : Tensor.Zeros(b, config.NumKeyValueHeads, 0, config.HeadDim);
        return feed;
    }

    private static Tensor Ones(int b, int t) => Tensor.FromArray(Enumerable.Repeat(1L, b * t).ToArray(), b, t);

    private static Tensor Range(int b, int start, int t) => Tensor.FromArray(Enumerable.Range(0, b).SelectMany(_ => Enumerable.Range(start, t).Select(p => (long)p)).ToArray(), b, t);

    [OnnxRuntimeTheory]
    [MemberData(nameof(Cases))]
    public void TheDecoderWithPastMatchesSaplingInOnnxRuntime(string name)
    {
        string folder = Path.Combine(Fixtures.Directory, "llama", name);
        var model = LlamaFolder.Load(folder, WeightStorage.Float32);
        var config = model.Config;
        var path = Path.Combine(root, name + ".onnx");
        // One case goes through external data, as a model past protobuf's 2 GiB would.
        OnnxModelFile.Save(OnnxExporter.Export(model), path, externalData: name == "qwen2-sharded");
        if (OnnxChecker.MissingReason() == null)
        {
            var (code, output) = OnnxChecker.Check([path]);
            Assert.True(code == 0, output);
        }
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "expected.json")));
        var rows = doc.RootElement.GetProperty("ids").EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetInt64()).ToArray()).ToArray();
        int b = rows.Length, t = rows[0].Length;
        var ids = Tensor.FromArray(rows.SelectMany(r => r).ToArray(), b, t);
        using var _ = NoGrad.Enter();
        var logits = model.Forward(ids);                                                    // [B, T, vocab]

        // The whole batch from an empty past; then the last token after the first t − 1 tokens' present tensors.
        var whole = OnnxRuntime.Run(path, [Feed(config, ids, Ones(b, t), Range(b, 0, t), null)])[0];
        Near(logits.ToArray(), whole["logits"], [b, t, config.VocabSize], $"{name}: logits of the whole batch");
        Assert.Equal([b, config.NumKeyValueHeads, t, config.HeadDim], whole["present.0.key"].Dims);
        var first = OnnxRuntime.Run(path, [Feed(config, ids.Narrow(1, 0, t - 1).Contiguous(), Ones(b, t - 1), Range(b, 0, t - 1), null)])[0];
        var step = OnnxRuntime.Run(path, [Feed(config, ids.Narrow(1, t - 1, 1).Contiguous(), Ones(b, t), Range(b, t - 1, 1), first)])[0];
        Near(logits.Narrow(1, t - 1, 1).Contiguous().ToArray(), step["logits"], [b, 1, config.VocabSize], $"{name}: logits of the last token with past");

        // A row left-padded by 3: its real tokens' logits are those of the unpadded row.
        const int pad = 3;
        var padded = Tensor.FromArray(Enumerable.Repeat(0L, pad).Concat(rows[0][..(t - pad)]).ToArray(), 1, t);
        var mask = Tensor.FromArray(Enumerable.Range(0, t).Select(i => i < pad ? 0L : 1L).ToArray(), 1, t);
        var positions = Tensor.FromArray(Enumerable.Range(0, t).Select(i => (long)Math.Max(0, i - pad)).ToArray(), 1, t);
        var left = OnnxRuntime.Run(path, [Feed(config, padded, mask, positions, null)])[0]["logits"];
        var unpadded = model.Forward(Tensor.FromArray(rows[0][..(t - pad)], 1, t - pad)).ToArray();
        var real = left.Data.AsSpan(pad * config.VocabSize).ToArray();
        Near(unpadded, ([1, t - pad, config.VocabSize], real), [1, t - pad, config.VocabSize], $"{name}: a left-padded row");
    }

    [Fact]
    public void DynamicRopeIsRefusedByName()
    {
        var model = LlamaFolder.Load(Path.Combine(Fixtures.Directory, "llama", "llama-dynamic"), WeightStorage.Float32);
        var e = Assert.Throws<NotSupportedException>(() => OnnxExporter.Export(model));
        Assert.Contains("dynamic", e.Message);
    }

    [Fact]
    public void AFolderExportsThroughTheRegistry()
    {
        var proto = OnnxExporter.ExportFolder(Path.Combine(Fixtures.Directory, "llama", "qwen3"));
        Assert.Equal(["input_ids", "attention_mask", "position_ids", "past_key_values.0.key", "past_key_values.0.value"], proto.Graph.Input.Take(5).Select(i => i.Name));
        Assert.Equal("logits", proto.Graph.Output[0].Name);
        Assert.Equal("qwen3", proto.MetadataProps.Single(p => p.Key == "model_type").Value);
    }
}
