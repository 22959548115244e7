using Sapling.Export;
using Sapling.Models.Classifiers;
using Sapling.Models.Gpt;

namespace Sapling.Cli.Tests;

/// <summary><c>sapling export</c> tells classifier folders from GPT folders and writes the promised interface.</summary>
[Collection("cli")]
public sealed class ExportCommandTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("sapling-export-cli-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    [Fact]
    public void ExportsAClassifierFolder()
    {
        var folder = Path.Combine(directory, "cnn");
        ClassifierFolder.Save(folder, ClassifierFolder.Create(new ClassifierConfig { ModelType = "cnn", InputShape = [1, 8, 8], Channels = [4], HiddenSize = 8, NumClasses = 3 }, new Generator(1)));
        var output = Path.Combine(directory, "cnn.onnx");
        var (code, stdout, stderr) = CliRunner.Run("export", "--model", folder, "--format", "onnx", "--out", output);
        Assert.True(code == 0, stderr);
        Assert.Contains("input [batch, 1, 8, 8]", stdout);
        var model = OnnxModelFile.Load(output);
        Assert.Equal("input", model.Graph.Input[0].Name);
        Assert.Equal("logits", model.Graph.Output[0].Name);
    }

    [Fact]
    public void ExportsAGptFolder()
    {
        var folder = Path.Combine(directory, "gpt");
        GptFolder.Save(folder, new GptModel(new GptConfig { VocabSize = 20, NPositions = 8, NEmbd = 8, NLayer = 1, NHead = 2 }, new Generator(1)));
        var output = Path.Combine(directory, "gpt.onnx");
        var (code, stdout, stderr) = CliRunner.Run("export", "--model", folder, "--out", output);
        Assert.True(code == 0, stderr);
        Assert.Contains("input_ids [batch, sequence]", stdout);
        Assert.Contains("logits [batch, sequence, 20]", stdout);
        Assert.Equal("input_ids", OnnxModelFile.Load(output).Graph.Input[0].Name);
    }

    [Fact]
    public void OtherFormatsAndMissingFoldersAreUserErrors()
    {
        var (code, _, stderr) = CliRunner.Run("export", "--model", directory, "--format", "tflite", "--out", Path.Combine(directory, "x"));
        Assert.Equal(2, code);
        Assert.Contains("--format tflite is not supported (onnx, gguf)", stderr);
        (code, _, stderr) = CliRunner.Run("export", "--model", Path.Combine(directory, "absent"), "--out", Path.Combine(directory, "x.onnx"));
        Assert.Equal(2, code);
        Assert.Contains("config.json", stderr);
    }
}
