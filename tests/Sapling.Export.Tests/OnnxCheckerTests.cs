using Xunit.Abstractions;

namespace Sapling.Export.Tests;

/// <summary>Every kind of exported file passes onnx.checker.check_model with full_check (shape inference included).</summary>
public sealed class OnnxCheckerTests(ITestOutputHelper output) : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("sapling-onnx-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    [OnnxCheckerFact]
    public void ExportedFilesPassTheChecker()
    {
        var models = new Dictionary<string, Onnx.ModelProto>
        {
            ["mlp"] = OnnxExporter.Export(TestModels.Mlp()),
            ["cnn"] = OnnxExporter.Export(TestModels.Cnn(batchNorm: false)),
            ["cnn_bn"] = OnnxExporter.Export(TestModels.Cnn(batchNorm: true)),
            ["resnet"] = OnnxExporter.Export(TestModels.ResNet()),
            ["gpt_gelu_new"] = OnnxExporter.Export(TestModels.Gpt("gelu_new")),
            ["gpt_gelu"] = OnnxExporter.Export(TestModels.Gpt("gelu")),
        };
        var paths = new List<string>();
        foreach (var (name, model) in models)
        {
            var path = Path.Combine(directory, name + ".onnx");
            OnnxModelFile.Save(model, path);
            paths.Add(path);
        }
        var (code, text) = OnnxChecker.Check(paths);
        output.WriteLine(text);
        Assert.True(code == 0, text);
        Assert.Equal(paths.Count, text.Split('\n').Count(l => l.Contains(": valid", StringComparison.Ordinal)));
    }
}
