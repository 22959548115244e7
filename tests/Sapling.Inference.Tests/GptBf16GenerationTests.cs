using System.Text.Json;
using Sapling.Models;
using Sapling.Models.Gpt;
using Sapling.Testing;

namespace Sapling.Inference.Tests;

/// <summary>
/// The gpt2-tiny weights stored as BF16: loaded through the registry they stay 2 bytes wide in place (mapped), and
/// give PyTorch's logits and greedy tokens on the bf16-rounded weights (tests/fixtures/make_gpt2_fixtures.py).
/// </summary>
public sealed class GptBf16Tests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("sapling-gpt-bf16-").FullName;

    public void Dispose() => Directory.Delete(dir, true);

    [Fact]
    public void Bf16WeightsStayTwoBytesWideAndGivePyTorchsGreedyTokens()
    {
        string source = Path.Combine(Fixtures.Directory, "gpt2-tiny");
        File.Copy(Path.Combine(source, "config.json"), Path.Combine(dir, "config.json"));
        var bf16 = IO.SafeTensors.LoadAll(Path.Combine(source, "model.safetensors")).ToDictionary(e => e.Key, e => e.Value.To(DType.BFloat16));
        IO.SafeTensors.Save(Path.Combine(dir, "model.safetensors"), bf16);
        var model = (GptModel)ModelRegistry.LoadLanguageModel(dir);
        var weight = model.Blocks[0].Attn.CAttn.Weight;
        Assert.Equal(DType.BFloat16, weight.DType);
        Assert.Equal(Memory.StorageKind.Mapped, weight.StorageKind);
        Assert.Equal(DType.BFloat16, model.Wte.Weight.DType);

        var expected = JsonDocument.Parse(File.ReadAllText(Path.Combine(source, "expected_bf16.json"))).RootElement;
        var rows = expected.GetProperty("ids").EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetInt64()).ToArray()).ToArray();
        using var noGrad = Autograd.NoGrad.Enter();
        var logits = model.Forward(Tensor.FromArray(rows.SelectMany(r => r).ToArray(), rows.Length, rows[0].Length));
        TensorAssert.Close(expected.GetProperty("logits").EnumerateArray().Select(v => v.GetSingle()).ToArray(), logits, rtol: 1e-4f, atol: 1e-4f);
        var prompt = expected.GetProperty("prompt").EnumerateArray().Select(v => v.GetInt32()).ToArray();
        var greedy = TextGenerator.Generate(model, prompt, new SamplingOptions { MaxNewTokens = 10, Temperature = 0f });
        Assert.Equal(expected.GetProperty("greedy").EnumerateArray().Select(v => v.GetInt32()), greedy);
    }
}
