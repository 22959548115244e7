using Sapling.Inference.Compression;
using Sapling.IO;
using Sapling.Models.Classifiers;
using Sapling.Models.Vision;

namespace Sapling.Inference.Tests.Compression;

/// <summary>
/// sapling quantize on a torchvision-layout ResNet (what `import onnx` makes of an ImageNet ResNet): every convolution
/// and the classifier become int8 with per-channel scales, batch norms stay float32, and the folder loads back as a
/// classifier giving nearly the float model's logits and the same predictions.
/// </summary>
public sealed class ResNetQuantizationTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("sapling-quantize-resnet-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    [Fact]
    public void AnInt8ResNetLoadsAndAgreesWithTheFloatOne()
    {
        var config = TorchvisionResNetConfig.ForDepth(18, numClasses: 10) with { ImageSize = [64, 64] };
        var model = new TorchvisionResNet(config, new Generator(7));
        // Batch-norm statistics away from 0/1, as a trained network has them, so the int8 error passes through them.
        using (Autograd.NoGrad.Enter())
            foreach (var (name, buffer) in model.NamedBuffers())
                if (name.EndsWith("running_var", StringComparison.Ordinal)) buffer.CopyFrom(Tensor.Rand([buffer.Shape[0]], new Generator(1)).Add(0.5f));
        string source = Path.Combine(directory, "float"), target = Path.Combine(directory, "int8");
        TorchvisionResNetFolder.Save(source, model);
        var summary = Quantizer.QuantizeFolder(source, target);
        Assert.Contains("conv1", summary.Modules);
        Assert.Contains("layer4.1.conv2", summary.Modules);
        Assert.Contains("layer2.0.downsample.0", summary.Modules);
        Assert.Contains("fc", summary.Modules);
        Assert.True(summary.BytesAfter * 3 < summary.BytesBefore, $"{summary.BytesBefore} → {summary.BytesAfter} bytes");
        var stored = SafeTensors.LoadAll(Path.Combine(target, "model.safetensors"));
        Assert.Equal(DType.Int8, stored["layer3.0.conv1.weight"].DType);
        Assert.Equal(DType.Float32, stored["layer3.0.bn1.running_mean"].DType);

        var quantized = ClassifierFolder.Load(target);
        Assert.IsType<TorchvisionResNetClassifier>(quantized);
        Assert.NotNull(((TorchvisionResNet)quantized.Module).Conv1.Quantized);
        var original = ClassifierFolder.Load(source);
        var images = Tensor.Rand([4, 3, 64, 64], new Generator(2));
        float[] a, b;
        using (Autograd.NoGrad.Enter())
        {
            a = original.Module.Forward(images).ToArray();
            b = quantized.Module.Forward(images).ToArray();
        }
        double scale = a.Max(Math.Abs), worst = 0;
        for (int i = 0; i < a.Length; i++) worst = Math.Max(worst, Math.Abs(a[i] - b[i]));
        Assert.True(worst <= 0.05 * scale, $"largest logit difference {worst:G3} against a largest logit of {scale:G3}");
        var e = Assert.Throws<InvalidDataException>(() => Quantizer.QuantizeFolder(target, Path.Combine(directory, "twice")));
        Assert.Contains("already int8-quantized", e.Message);
    }
}
