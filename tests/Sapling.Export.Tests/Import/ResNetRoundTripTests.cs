using Google.Protobuf;
using Sapling.Autograd;
using Sapling.Export.Import;
using Sapling.Models.Vision;
using Xunit.Abstractions;

namespace Sapling.Export.Tests.Import;

/// <summary>
/// A torchvision-layout ResNet exported to ONNX (batch norms as nodes, or folded into the convolutions as PyTorch's
/// exporter writes them) runs in ONNX Runtime as it runs in Sapling, and importing the file gives the same network back
/// under torchvision's names: the recogniser reads both export forms, basic and bottleneck blocks.
/// </summary>
public sealed class ResNetRoundTripTests(ITestOutputHelper output) : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("sapling-resnet-onnx-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    private static TorchvisionResNet Model(int depth, int classes)
    {
        var model = new TorchvisionResNet(TorchvisionResNetConfig.ForDepth(depth, classes), new Generator(7));
        // Non-trivial batch-norm statistics, so folding them is tested rather than a no-op.
        using (NoGrad.Enter())
            foreach (var (name, t) in model.StateDict())
                if (name.EndsWith("running_mean", StringComparison.Ordinal)) t.CopyFrom(Tensor.Randn(t.Shape.ToArray(), generator: new Generator(11)).Mul(0.1f));
                else if (name.EndsWith("running_var", StringComparison.Ordinal)) t.CopyFrom(Tensor.Rand(t.Shape.ToArray(), generator: new Generator(12)).Add(0.5f));
        model.Eval();
        return model;
    }

    [Theory]
    [InlineData(18, 10, false)]
    [InlineData(18, 0, true)]
    [InlineData(50, 7, true)]
    public void ExportRunsInOnnxRuntimeAndImportsBack(int depth, int classes, bool fold)
    {
        var model = Model(depth, classes);
        var file = Path.Combine(directory, "resnet.onnx");
        OnnxModelFile.Save(OnnxExporter.Export(model, foldBatchNorm: fold), file);
        var x = Tensor.Randn([2, 3, 64, 80], generator: new Generator(5));
        Tensor own;
        using (NoGrad.Enter()) own = model.Forward(x);
        var ort = InProcessOnnxRuntime.Run(file, new Dictionary<string, Tensor> { ["pixel_values"] = x }).Values.Single();
        Assert.True(MaxRelative(own, ort) <= 1e-4, $"ONNX Runtime differs by {MaxRelative(own, ort):E3}");

        var result = OnnxImporter.Import(file, Path.Combine(directory, "imported"));
        output.WriteLine(result.Description);
        Assert.Equal(TorchvisionResNetConfig.Type, result.Kind);
        var imported = TorchvisionResNetFolder.Load(Path.Combine(directory, "imported"));
        Assert.Equal(model.Config.Layers, imported.Config.Layers);
        Assert.Equal(classes, imported.Config.NumClasses);
        Tensor back;
        using (NoGrad.Enter()) back = imported.Forward(x);
        output.WriteLine($"resnet{depth} (fold {fold}): ONNX Runtime {MaxRelative(own, ort):E2}, re-imported {MaxRelative(own, back):E2}");
        Assert.True(MaxRelative(own, back) <= 1e-4);
        if (!fold)
            foreach (var (name, value) in model.StateDict())
                Assert.Equal(value.Contiguous().To(DType.Float64).ToArray<double>(), imported.StateDict()[name].Contiguous().To(DType.Float64).ToArray<double>());
    }

    [Fact]
    public void BgrNetworkIsMadeToTakeRgb()
    {
        var model = Model(18, 3);
        var file = Path.Combine(directory, "bgr.onnx");
        OnnxModelFile.Save(OnnxExporter.Export(model), file);
        var result = OnnxImporter.Import(file, Path.Combine(directory, "rgb"), image: new OnnxImporter.ImageInput(Bgr: true, Mean: [0.4f, 0.45f, 0.5f], Std: [0.2f, 0.2f, 0.2f], Size: [96, 128]));
        Assert.Equal(TorchvisionResNetConfig.Type, result.Kind);
        var imported = TorchvisionResNetFolder.Load(Path.Combine(directory, "rgb"));
        Assert.Equal([96, 128], imported.Config.ImageSize);
        Assert.Equal(0.45f, imported.Config.Normalization!.Mean[1]);
        var bgr = Tensor.Randn([1, 3, 32, 32], generator: new Generator(9));
        var rgb = bgr.IndexSelect(1, Tensor.FromArray(new long[] { 2, 1, 0 }));
        using var _ = NoGrad.Enter();
        Assert.True(MaxRelative(imported.Forward(rgb), model.Forward(bgr)) <= 1e-5);
        Assert.Throws<ArgumentException>(() => OnnxImporter.Import(file, Path.Combine(directory, "x"), generic: true, image: new OnnxImporter.ImageInput(Bgr: true)));
    }

    [Fact]
    public void GenericFolderExportsBackToAFileOnnxRuntimeRuns()
    {
        var model = Model(18, 4);
        var file = Path.Combine(directory, "resnet.onnx");
        OnnxModelFile.Save(OnnxExporter.Export(model), file);
        OnnxImporter.Import(file, Path.Combine(directory, "generic"), generic: true);
        var again = OnnxExporter.ExportFolder(Path.Combine(directory, "generic"));
        var x = Tensor.Randn([1, 3, 32, 32], generator: new Generator(6));
        var first = InProcessOnnxRuntime.Run(file, new Dictionary<string, Tensor> { ["pixel_values"] = x })["logits"];
        var second = InProcessOnnxRuntime.Run(again.ToByteArray(), new Dictionary<string, Tensor> { ["pixel_values"] = x })["logits"];
        Assert.Equal(first.Contiguous().ToArray<float>(), second.Contiguous().ToArray<float>());
    }

    private static double MaxRelative(Tensor a, Tensor b)
    {
        var x = a.Contiguous().ToArray<float>();
        var y = b.Contiguous().ToArray<float>();
        Assert.Equal(x.Length, y.Length);
        double worst = 0;
        for (int i = 0; i < x.Length; i++) worst = Math.Max(worst, Math.Abs(x[i] - y[i]) / Math.Max(1f, Math.Abs(y[i])));
        return worst;
    }
}
