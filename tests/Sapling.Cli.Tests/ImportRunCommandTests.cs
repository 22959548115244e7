using Sapling.Autograd;
using Sapling.Export;
using Sapling.IO;
using Sapling.Models.Vision;

namespace Sapling.Cli.Tests;

/// <summary>
/// <c>sapling import onnx</c> writes a model folder from an ONNX file (mapped onto the torchvision ResNet, or kept as a
/// generic graph), and <c>sapling run</c> runs any such folder on a safetensors file of inputs, writing the outputs by
/// name; both imports give the exported model's own outputs.
/// </summary>
[Collection("cli")]
public sealed class ImportRunCommandTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("sapling-import-cli-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    [Fact]
    public void ImportsAnOnnxResNetBothWaysAndRunsIt()
    {
        var model = new TorchvisionResNet(TorchvisionResNetConfig.ForDepth(18, numClasses: 3), new Generator(4));
        model.Eval();
        var onnx = Path.Combine(directory, "resnet.onnx");
        OnnxModelFile.Save(OnnxExporter.Export(model), onnx);
        var x = Tensor.Randn([2, 3, 32, 32], generator: new Generator(5));
        Tensor expected;
        using (NoGrad.Enter()) expected = model.Forward(x);
        var inputs = Path.Combine(directory, "in.safetensors");
        SafeTensors.Save(inputs, new Dictionary<string, Tensor> { ["pixel_values"] = x });

        var (code, stdout, stderr) = CliRunner.Run("import", "onnx", onnx, "--out", Path.Combine(directory, "mapped"));
        Assert.True(code == 0, stderr);
        Assert.Contains("recognised as torchvision resnet18, 3 classes", stdout);
        (code, stdout, stderr) = CliRunner.Run("import", "onnx", onnx, "--out", Path.Combine(directory, "generic"), "--generic");
        Assert.True(code == 0, stderr);
        Assert.Contains("model_type onnx", stdout);

        foreach (var folder in new[] { "mapped", "generic" })
        {
            var outputs = Path.Combine(directory, $"{folder}.safetensors");
            (code, stdout, stderr) = CliRunner.Run("run", "--model", Path.Combine(directory, folder), "--input", inputs, "--out", outputs);
            Assert.True(code == 0, stderr);
            var logits = SafeTensors.LoadAll(outputs)["logits"];
            Assert.Equal([2, 3], logits.Shape.ToArray());
            var a = logits.Contiguous().ToArray<float>();
            var b = expected.Contiguous().ToArray<float>();
            for (int i = 0; i < a.Length; i++) Assert.True(Math.Abs(a[i] - b[i]) <= 1e-4f * Math.Max(1f, Math.Abs(b[i])), $"{folder}: logit {i} is {a[i]}, expected {b[i]}");
        }
    }

    [Fact]
    public void BadInputsAreRefusedByName()
    {
        var notOnnx = Path.Combine(directory, "bad.onnx");
        File.WriteAllBytes(notOnnx, [0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
        var (code, _, stderr) = CliRunner.Run("import", "onnx", notOnnx, "--out", Path.Combine(directory, "x"));
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains("bad.onnx", stderr);

        var model = new TorchvisionResNet(TorchvisionResNetConfig.ForDepth(18, numClasses: 2), new Generator(1));
        TorchvisionResNetFolder.Save(Path.Combine(directory, "resnet"), model);
        var inputs = Path.Combine(directory, "wrong.safetensors");
        SafeTensors.Save(inputs, new Dictionary<string, Tensor> { ["a"] = Tensor.Zeros(1, 3, 8, 8), ["b"] = Tensor.Zeros(1) });
        (code, _, stderr) = CliRunner.Run("run", "--model", Path.Combine(directory, "resnet"), "--input", inputs, "--out", Path.Combine(directory, "o.safetensors"));
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains("pixel_values", stderr);
    }
}
