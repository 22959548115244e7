using Sapling.IO;
using Sapling.Models.Classifiers;

namespace Sapling.Cli.Tests;

/// <summary><c>sapling quantize</c> and <c>sapling prune</c> write folders that the other verbs load as they are.</summary>
[Collection("cli")]
public sealed class CompressionCommandTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("sapling-compress-cli-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    private string Cnn()
    {
        var folder = Path.Combine(directory, "cnn");
        ClassifierFolder.Save(folder, ClassifierFolder.Create(new ClassifierConfig { ModelType = "cnn", InputShape = [1, 8, 8], Channels = [16, 32], HiddenSize = 64, NumClasses = 10, InputScale = 16 }, new Generator(1)));
        File.WriteAllText(Path.Combine(folder, "notes.txt"), "side file");
        return folder;
    }

    private static double Accuracy(string stdout) =>
        double.Parse(System.Text.Json.JsonDocument.Parse(stdout).RootElement.GetProperty("accuracy").GetRawText(), System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public void QuantizeThenEvaluate()
    {
        var folder = Cnn();
        var output = Path.Combine(directory, "cnn-int8");
        var (code, stdout, stderr) = CliRunner.Run("quantize", "--model", folder, "--bits", "8", "--out", output);
        Assert.True(code == 0, stderr);
        Assert.Contains("quantized 4 layers to int8", stdout);
        Assert.True(File.Exists(Path.Combine(output, "notes.txt")));
        Assert.Contains("\"quantization\"", File.ReadAllText(Path.Combine(output, "config.json")));
        Assert.True(new FileInfo(Path.Combine(output, "model.safetensors")).Length * 3 < new FileInfo(Path.Combine(folder, "model.safetensors")).Length);

        (code, var f32, stderr) = CliRunner.Run("eval", "--model", folder, "--data", "digits", "--json");
        Assert.True(code == 0, stderr);
        (code, var int8, stderr) = CliRunner.Run("eval", "--model", output, "--data", "digits", "--json");
        Assert.True(code == 0, stderr);
        // An untrained model's accuracy is near chance; the int8 one must predict nearly the same classes.
        Assert.True(Math.Abs(Accuracy(f32) - Accuracy(int8)) < 0.03, $"{f32} vs {int8}");
    }

    [Fact]
    public void QuantizeRefusesOtherBitWidthsAndQuantizedFolders()
    {
        var folder = Cnn();
        var (code, _, stderr) = CliRunner.Run("quantize", "--model", folder, "--bits", "4", "--out", Path.Combine(directory, "q4"));
        Assert.Equal(2, code);
        Assert.Contains("--bits 4 is not supported", stderr);
        // llama.cpp's block formats are for decoders; a CNN is refused by kind, an unknown type by name.
        (code, _, stderr) = CliRunner.Run("quantize", "--model", folder, "--type", "q8_0", "--out", Path.Combine(directory, "cnn.gguf"));
        Assert.Equal(2, code);
        Assert.Contains("GPT-2 and Llama-family decoders", stderr);
        (code, _, stderr) = CliRunner.Run("quantize", "--model", folder, "--type", "q3_k", "--out", Path.Combine(directory, "cnn.gguf"));
        Assert.Equal(2, code);
        Assert.Contains("--type q3_k is not supported", stderr);
        var once = Path.Combine(directory, "once");
        Assert.Equal(0, CliRunner.Run("quantize", "--model", folder, "--out", once).ExitCode);
        (code, _, stderr) = CliRunner.Run("quantize", "--model", once, "--out", Path.Combine(directory, "twice"));
        Assert.Equal(2, code);
        Assert.Contains("already int8-quantized", stderr);
        (code, _, stderr) = CliRunner.Run("export", "--model", once, "--out", Path.Combine(directory, "q.onnx"));
        Assert.Equal(2, code);
        Assert.Contains("int8-quantized", stderr);
        (code, _, stderr) = CliRunner.Run("prune", "--model", once, "--sparsity", "0.5", "--out", Path.Combine(directory, "pq"));
        Assert.Equal(2, code);
        Assert.Contains("int8-quantized", stderr);
    }

    [Fact]
    public void EvaluatingAFolderWithAMissingScaleNamesTheFileAndTensor()
    {
        var output = Path.Combine(directory, "broken");
        Assert.Equal(0, CliRunner.Run("quantize", "--model", Cnn(), "--out", output).ExitCode);
        var weights = Path.Combine(output, "model.safetensors");
        var state = SafeTensors.LoadAll(weights);
        state.Remove("fc.1.weight_scale");
        SafeTensors.Save(weights, state);
        var (code, _, stderr) = CliRunner.Run("eval", "--model", output, "--data", "digits");
        Assert.Equal(2, code);
        Assert.Contains(weights, stderr);
        Assert.Contains("fc.1.weight_scale", stderr);
    }

    [Fact]
    public void PruneThenEvaluate()
    {
        var folder = Cnn();
        var output = Path.Combine(directory, "cnn-s50");
        var (code, stdout, stderr) = CliRunner.Run("prune", "--model", folder, "--sparsity", "0.5", "--structured", "--out", output);
        Assert.True(code == 0, stderr);
        Assert.Contains("model.safetensors", stdout);
        Assert.Equal([8, 16], ClassifierFolder.ReadConfig(output).Channels);
        (code, _, stderr) = CliRunner.Run("eval", "--model", output, "--data", "digits");
        Assert.True(code == 0, stderr);

        var sparse = Path.Combine(directory, "cnn-u50");
        (code, stdout, stderr) = CliRunner.Run("prune", "--model", folder, "--sparsity", "0.5", "--finetune-steps", "3", "--config", Path.Combine(AppContext.BaseDirectory, "configs", "digits-cnn.yaml"), "--out", sparse);
        Assert.True(code == 0, stderr);
        Assert.Contains("50.0 % of Linear/Conv weights are zero", stdout);
    }

    [Fact]
    public void PruneGptHeadsThenGenerate()
    {
        var folder = Path.Combine(directory, "gpt");
        var tokenizer = Sapling.Data.Text.CharTokenizer.Train(["abc def ghi"]);
        Sapling.Models.Gpt.GptFolder.Save(folder, new Sapling.Models.Gpt.GptModel(new Sapling.Models.Gpt.GptConfig { VocabSize = tokenizer.VocabSize, NPositions = 16, NEmbd = 16, NLayer = 2, NHead = 4 }, new Generator(1)));
        tokenizer.Save(Path.Combine(folder, "tokenizer.json"));
        var output = Path.Combine(directory, "gpt-heads");
        var (code, stdout, stderr) = CliRunner.Run("prune", "--model", folder, "--sparsity", "0.25", "--structured", "--heads", "0.5", "--out", output);
        Assert.True(code == 0, stderr);
        Assert.Contains("heads per layer 2/2", stdout);
        (code, stdout, stderr) = CliRunner.Run("generate", "--model", output, "--prompt", "ab", "--max-new-tokens", "5");
        Assert.True(code == 0, stderr);
        (code, _, stderr) = CliRunner.Run("prune", "--model", folder, "--sparsity", "0.5", "--heads", "0.5", "--out", output);
        Assert.Equal(2, code);
        Assert.Contains("--heads removes whole attention heads; it needs --structured", stderr);
    }

    [Theory]
    [InlineData("1", "[0, 1)")]
    [InlineData("-0.2", "[0, 1)")]
    public void PruneRefusesSparsityOutsideTheRange(string sparsity, string expected)
    {
        var (code, _, stderr) = CliRunner.Run("prune", "--model", Cnn(), "--sparsity", sparsity, "--out", Path.Combine(directory, "p"));
        Assert.Equal(2, code);
        Assert.Contains(expected, stderr);
    }

    [Fact]
    public void FinetuneNeedsAConfig()
    {
        var (code, _, stderr) = CliRunner.Run("prune", "--model", Cnn(), "--sparsity", "0.5", "--finetune-steps", "5", "--out", Path.Combine(directory, "p"));
        Assert.Equal(2, code);
        Assert.Contains("--finetune-steps needs --config", stderr);
    }
}
