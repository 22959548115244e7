using Sapling.Autograd;
using Sapling.IO;
using Sapling.Models.Classifiers;
using Sapling.Models.Compression;
using Sapling.Models.Gpt;

namespace Sapling.Models.Tests.Compression;

/// <summary>A quantized model saved as a folder loads back through the ordinary loaders and runs in int8.</summary>
public sealed class QuantizedFolderTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("sapling-quant-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    private static GptModel TinyGpt() => new(new GptConfig { VocabSize = 30, NPositions = 16, NEmbd = 32, NLayer = 2, NHead = 4 }, new Generator(7));

    private static Tensor Ids() => Tensor.FromArray(new long[] { 1, 5, 9, 3, 7, 2, 8, 4 }, 2, 4);

    private string SaveQuantizedGpt(GptModel model)
    {
        // As `sapling quantize` does: the position embedding stays float32.
        var modules = ModelQuantization.QuantizeAll(model, name => name != "wpe");
        var folder = Path.Combine(directory, "gpt-int8");
        GptFolder.Save(folder, model, model.Config with { Quantization = new QuantizationConfig { Modules = modules } });
        return folder;
    }

    [Fact]
    public void QuantizedGptRoundTripsAndStaysCloseToFloat()
    {
        var model = TinyGpt();
        model.Eval();
        float[] reference;
        using (NoGrad.Enter()) reference = model.Forward(Ids()).ToArray();
        var folder = SaveQuantizedGpt(model);
        float[] quantized;
        using (NoGrad.Enter()) quantized = model.Forward(Ids()).ToArray();

        var loaded = GptFolder.Load(folder);
        Assert.NotNull(loaded.Config.Quantization);
        Assert.NotNull(loaded.Blocks[0].Attn.CAttn.Quantized);
        using (NoGrad.Enter())
        {
            // Same int8 values and scales, same kernel: the reloaded model gives exactly the quantized outputs.
            Assert.Equal(quantized, loaded.Forward(Ids()).ToArray());
            // Decoding with a KV cache through the int8 layers agrees with the full forward pass.
            var cache = loaded.NewCache(2);
            var first = loaded.Forward(Ids().Narrow(1, 0, 3), cache).ToArray();
            var last = loaded.Forward(Ids().Narrow(1, 3, 1), cache).ToArray();
            Assert.Equal(quantized.Skip(30 * 3).Take(30).ToArray(), last.Take(30).ToArray(), (a, b) => MathF.Abs(a - b) < 1e-3f);
            Assert.Equal(90, first.Length / 2);
        }
        float maxRef = reference.Max(MathF.Abs);
        Assert.All(reference.Zip(quantized), p => Assert.True(MathF.Abs(p.First - p.Second) < 0.05f * maxRef, $"{p.First} vs {p.Second}"));
        // The int8 weights really are I8 on disk, with a float scale beside each.
        using var file = SafeTensorsFile.Open(Path.Combine(folder, "model.safetensors"));
        Assert.Equal("I8", file.Info("h.0.mlp.c_fc.weight").DType);
        Assert.Equal("F32", file.Info("h.0.mlp.c_fc.weight_scale").DType);
        // The token embedding is int8 too; its rows are also the tied output head's channels.
        Assert.Equal("I8", file.Info("wte.weight").DType);
        Assert.Equal("F32", file.Info("wpe.weight").DType);
    }

    [Fact]
    public void MissingScaleTensorNamesTheFileAndTheTensor()
    {
        var folder = SaveQuantizedGpt(TinyGpt());
        var weights = Path.Combine(folder, "model.safetensors");
        var state = SafeTensors.LoadAll(weights);
        state.Remove("h.1.attn.c_proj.weight_scale");
        SafeTensors.Save(weights, state);
        var e = Assert.Throws<InvalidDataException>(() => GptFolder.Load(folder));
        Assert.Contains(weights, e.Message);
        Assert.Contains("h.1.attn.c_proj.weight_scale", e.Message);
    }

    [Fact]
    public void CorruptScaleTensorIsRefused()
    {
        var folder = SaveQuantizedGpt(TinyGpt());
        var weights = Path.Combine(folder, "model.safetensors");
        var state = SafeTensors.LoadAll(weights);
        var scale = state["h.0.mlp.c_fc.weight_scale"].ToArray();
        scale[3] = float.NaN;
        state["h.0.mlp.c_fc.weight_scale"] = Tensor.FromArray(scale, scale.Length);
        SafeTensors.Save(weights, state);
        var e = Assert.Throws<InvalidDataException>(() => GptFolder.Load(folder));
        Assert.Contains(weights, e.Message);
        Assert.Contains("h.0.mlp.c_fc.weight_scale", e.Message);
        Assert.Contains("channel 3", e.Message);
    }

    [Fact]
    public void QuantizedCnnRoundTrips()
    {
        var config = new ClassifierConfig { ModelType = "cnn", InputShape = [1, 8, 8], Channels = [4, 6], HiddenSize = 16, NumClasses = 3, BatchNorm = true };
        var cnn = ClassifierFolder.Create(config, new Generator(2));
        cnn.Module.Eval();
        var modules = ModelQuantization.QuantizeAll(cnn.Module);
        Assert.Contains("features.0", modules);
        Assert.Contains("head", modules);
        var folder = Path.Combine(directory, "cnn-int8");
        ClassifierFolder.Save(folder, cnn, config with { Quantization = new QuantizationConfig { Modules = modules } });
        var loaded = ClassifierFolder.Load(folder);
        var x = Tensor.FromArray(Enumerable.Range(0, 2 * 64).Select(i => (i % 7) / 7f).ToArray(), 2, 1, 8, 8);
        using (NoGrad.Enter()) Assert.Equal(cnn.Module.Forward(x).ToArray(), loaded.Module.Forward(x).ToArray());
    }

    [Fact]
    public void OnlyEightBitsIsAccepted()
    {
        var e = Assert.Throws<InvalidDataException>(() => new QuantizationConfig { Bits = 4, Modules = ["fc"] }.Validate("config.json"));
        Assert.Contains("only 8 bits is supported", e.Message);
    }
}
