using System.Text.Json;
using Sapling.Models.Gpt;

namespace Sapling.Cli.Tests;

/// <summary>
/// Careless or hostile input to the command line: config values that used to crash, hang or train nonsense, and
/// training that diverges. Each gets a named error or a non-zero exit, never a raw .NET exception or a NaN model.
/// </summary>
[Collection("cli")]
public sealed class ReliabilityTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("sapling-reliability-").FullName;

    public void Dispose() => Directory.Delete(root, recursive: true);

    private string TinyGptFolder(Action<Dictionary<string, object>> edit)
    {
        var dir = Path.Combine(root, "gpt-" + Guid.NewGuid().ToString("N")[..8]);
        var model = new GptModel(new GptConfig { VocabSize = 20, NPositions = 16, NEmbd = 8, NLayer = 1, NHead = 2 }, new Generator(1));
        GptFolder.Save(dir, model);
        var config = JsonSerializer.Deserialize<Dictionary<string, object>>(File.ReadAllText(Path.Combine(dir, "config.json")))!;
        edit(config);
        File.WriteAllText(Path.Combine(dir, "config.json"), JsonSerializer.Serialize(config));
        return dir;
    }

    [Theory]
    [InlineData("n_head", 0, "n_head must be positive")]
    [InlineData("n_embd", -128, "n_embd must be positive")]
    [InlineData("n_layer", 1_000_000_000, "parameters")]
    [InlineData("vocab_size", 0, "vocab_size must be positive")]
    public void ABadGptConfigIsANamedErrorBeforeAnythingIsAllocated(string key, int value, string expected)
    {
        var dir = TinyGptFolder(c => c[key] = value);
        long before = GC.GetTotalAllocatedBytes();
        var (code, _, error) = CliRunner.Run("generate", "--model", dir, "--prompt-ids", "1,2", "--max-new-tokens", "2");
        Assert.Equal(2, code);
        Assert.Contains("config.json", error);
        Assert.Contains(expected, error);
        Assert.True(GC.GetTotalAllocatedBytes() - before < 200L << 20, "the refusal must come before the model is built");
    }

    [Fact]
    public void AClassifierWithAZeroWidthLayerIsRefused()
    {
        var (code, _, error) = CliRunner.Run("train", Path.Combine(Repo, "configs", "digits-cnn.yaml"), "--out", Path.Combine(root, "zero"),
            "--set", "model.channels=[0]", "--set", "train.epochs=1");
        Assert.Equal(2, code);
        Assert.Contains("channels [0]", error);
    }

    [Fact]
    public void AnEmptyConfigFileIsRefused()
    {
        var path = Path.Combine(root, "empty.yaml");
        File.WriteAllText(path, "# nothing here\n");
        var (code, _, error) = CliRunner.Run("train", path, "--out", Path.Combine(root, "empty"));
        Assert.Equal(2, code);
        Assert.Contains("empty", error);
        Assert.Contains(path, error);
    }

    [Fact]
    public void ANonFiniteLearningRateIsRefused()
    {
        var (code, _, error) = CliRunner.Run("train", Path.Combine(Repo, "configs", "digits-mlp.yaml"), "--out", Path.Combine(root, "nan-lr"), "--set", "train.lr=nan");
        Assert.Equal(2, code);
        Assert.Contains("finite", error);
    }

    [Fact]
    public void DivergedTrainingExitsNonZeroAndLeavesNoNaNModel()
    {
        var run = Path.Combine(root, "diverged");
        var (code, _, error) = CliRunner.Run("train", Path.Combine(Repo, "configs", "digits-mlp.yaml"), "--out", run,
            "--set", "train.lr=1e6", "--set", "train.optimizer=sgd", "--set", "train.epochs=2", "--set", "train.schedule=none", "--plain");
        Assert.Equal(3, code);
        Assert.Contains("diverged", error);
        Assert.False(Directory.Exists(Path.Combine(run, "model")), "no model folder for a run that never had finite weights");
    }

    private static string Repo => Path.GetFullPath(Path.Combine(Testing.Fixtures.Directory, "..", ".."));
}

[Collection("cli")]
public sealed class NonFiniteWeightsTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("sapling-nan-weights-").FullName;

    public void Dispose() => Directory.Delete(root, recursive: true);

    [Fact]
    public void WeightsHoldingNaNAreNamedAtLoadAndGenerationRefusesToPrintNonsense()
    {
        var model = new GptModel(new GptConfig { VocabSize = 20, NPositions = 16, NEmbd = 8, NLayer = 1, NHead = 2 }, new Generator(1));
        using (Autograd.NoGrad.Enter()) model.Blocks[0].Mlp.CFc.Weight.AsSpan()[3] = float.NaN;
        GptFolder.Save(root, model);
        var (code, output, error) = CliRunner.Run("generate", "--model", root, "--prompt-ids", "1,2", "--max-new-tokens", "3", "--temperature", "0");
        Assert.Contains("h.0.mlp.c_fc.weight", error);
        Assert.Contains("NaN", error);
        Assert.Equal(2, code);
        Assert.Contains("nothing to sample", error);
        Assert.DoesNotContain("0,0,0", output);
    }
}
