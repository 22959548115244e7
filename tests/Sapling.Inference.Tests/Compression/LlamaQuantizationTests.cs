using System.Text.Json;
using Sapling.Inference.Compression;
using Sapling.IO;
using Sapling.Models;
using Sapling.Models.Llama;
using Sapling.Testing;

namespace Sapling.Inference.Tests.Compression;

/// <summary>
/// sapling quantize on the Llama family: every projection and the token embedding become int8 with per-channel scales
/// (the oracle folders of tests/fixtures/llama: untied and tied heads, biases, Qwen3's q/k norms, bf16, two shards), the
/// folder loads back through the registry without a float copy, and gives nearly the float model's logits, with and
/// without the KV cache.
/// </summary>
public sealed class LlamaQuantizationTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("sapling-quantize-llama-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    public static TheoryData<string> Cases => new("llama", "llama-tied-biases-llama3", "llama-bf16", "mistral-window", "qwen2-sharded", "qwen3");

    [Theory]
    [MemberData(nameof(Cases))]
    public void TheInt8FolderLoadsAndAgreesWithTheFloatModel(string name)
    {
        string source = Path.Combine(Fixtures.Directory, "llama", name), target = Path.Combine(directory, name);
        var expected = JsonDocument.Parse(File.ReadAllText(Path.Combine(source, "expected.json"))).RootElement;
        var summary = Quantizer.QuantizeFolder(source, target);
        var config = LlamaFolder.ReadConfig(source);
        Assert.Contains("model.layers.0.self_attn.q_proj", summary.Modules);
        Assert.Contains("model.layers.1.mlp.down_proj", summary.Modules);
        Assert.Contains("model.embed_tokens", summary.Modules);
        Assert.Equal(!config.TieWordEmbeddings, summary.Modules.Contains("lm_head"));
        var stored = SafeTensors.LoadAll(Path.Combine(target, "model.safetensors"));
        Assert.Equal(DType.Int8, stored["model.layers.0.mlp.gate_proj.weight"].DType);
        Assert.Equal(DType.Float32, stored["model.layers.0.input_layernorm.weight"].DType);
        Assert.DoesNotContain("lm_head.weight", config.TieWordEmbeddings ? stored.Keys : []);

        var quantized = Assert.IsType<LlamaForCausalLM>(ModelRegistry.LoadLanguageModel(target));
        Assert.NotNull(quantized.Model.Layers[0].SelfAttn.VProj.Quantized);
        var original = LlamaFolder.Load(source);
        var rows = expected.GetProperty("ids").EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetInt64()).ToArray()).ToArray();
        var ids = Tensor.FromArray(rows.SelectMany(r => r).ToArray(), rows.Length, rows[0].Length);
        using var _ = Autograd.NoGrad.Enter();
        float[] a = original.Forward(ids).ToArray(), b = quantized.Forward(ids).ToArray();
        double scale = a.Max(Math.Abs), worst = 0;
        for (int i = 0; i < a.Length; i++) worst = Math.Max(worst, Math.Abs(a[i] - b[i]));
        Assert.True(worst <= 0.05 * scale, $"{name}: largest logit difference {worst:G3} against a largest logit of {scale:G3}");

        // Decoding one token at a time through the cache gives the int8 model's own whole-sequence logits.
        var cache = quantized.NewCache(1, 64);
        int t = rows[0].Length;
        var stepwise = new float[t][];
        for (int i = 0; i < t; i++) stepwise[i] = quantized.LastPositionLogits(Tensor.FromArray(new[] { rows[0][i] }, 1, 1), cache).ToArray();
        int vocab = config.VocabSize;
        for (int i = 0; i < t; i++)
            TensorAssert.Close(b.AsSpan(i * vocab, vocab).ToArray(), Tensor.FromArray(stepwise[i], vocab), rtol: 1e-4f, atol: 1e-4f, what: $"{name} position {i}");

        var e = Assert.Throws<InvalidDataException>(() => Quantizer.QuantizeFolder(target, Path.Combine(directory, name + "-twice")));
        Assert.Contains("already int8-quantized", e.Message);
    }

    [Fact]
    public void ABrokenInt8FolderIsRefusedByTensorName()
    {
        string source = Path.Combine(Fixtures.Directory, "llama", "llama"), target = Path.Combine(directory, "broken");
        Quantizer.QuantizeFolder(source, target);
        var weights = Path.Combine(target, "model.safetensors");
        var state = SafeTensors.LoadAll(weights).Where(e => e.Key != "model.layers.1.self_attn.k_proj.weight_scale").ToDictionary(e => e.Key, e => e.Value);
        SafeTensors.Save(weights, state);
        var e = Assert.Throws<InvalidDataException>(() => ModelRegistry.LoadLanguageModel(target));
        Assert.Contains("model.layers.1.self_attn.k_proj.weight_scale", e.Message);
    }
}
