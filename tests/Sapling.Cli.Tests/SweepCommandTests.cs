namespace Sapling.Cli.Tests;

[Collection("cli")]
public sealed class SweepCommandTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("sapling-cli-sweep-").FullName;

    public void Dispose() => Directory.Delete(root, recursive: true);

    private static string Digits => Testing.Fixtures.DigitsPath;

    /// <summary>A small MLP on a third of the digits for 3 epochs: a trial takes well under a second.</summary>
    private string Config(string sweep, string name = "tiny.yaml")
    {
        var path = Path.Combine(root, name);
        File.WriteAllText(path, $"""
            task: classification
            data:
              path: {Digits}
              input_scale: 16
              train_subset: 0.3
            model:
              type: mlp
              hidden_sizes: [16]
            train:
              epochs: 3
              lr: 0.003
              seed: 1
            sweep:
            {sweep}
            """);
        return path;
    }

    private const string GridSweep = """
          method: grid
          metric: val_loss
          pruner: asha
          min_epochs: 1
          reduction_factor: 2
          max_epochs: 3
          parameters:
            train.lr: {values: [0.01, 0.003, 0.0003]}
        """;

    [Fact]
    public void TrialsAreRunFoldersAndARerunAfterACrashSkipsFinishedOnes()
    {
        var config = Config(GridSweep);
        var sweep = Path.Combine(root, "sweep");
        var (code, output, error) = CliRunner.Run("sweep", config, "--out", sweep);
        Assert.True(code == 0, error);
        Assert.Contains("rank", output);
        for (int t = 0; t < 3; t++)
        {
            var run = Path.Combine(sweep, $"trial-{t:D3}");
            Assert.True(File.Exists(Path.Combine(run, "metrics.jsonl")));
            Assert.True(File.Exists(Path.Combine(run, "model", "model.safetensors")));
            Assert.DoesNotContain("sweep:", File.ReadAllText(Path.Combine(run, "config.yaml")));
        }
        Assert.Contains("lr: 0.0003", File.ReadAllText(Path.Combine(sweep, "trial-002", "config.yaml")));
        Assert.Contains("epochs: 3", File.ReadAllText(Path.Combine(sweep, "trial-002", "config.yaml")));

        // Simulate a crash during the last trial: the journal as it was before that trial finished.
        var journal = Path.Combine(sweep, "sweep.jsonl");
        File.WriteAllLines(journal, File.ReadAllLines(journal).Where(l => !l.Contains("\"trial\":2,")));
        var finishedAt = Enumerable.Range(0, 2).Select(t => File.GetLastWriteTimeUtc(Path.Combine(sweep, $"trial-{t:D3}", "results.json"))).ToList();
        File.Delete(Path.Combine(sweep, "trial-002", "results.json"));

        (code, output, error) = CliRunner.Run("sweep", config, "--out", sweep);
        Assert.True(code == 0, error);
        Assert.Contains("resuming: 2 of 3 trials already finished, 1 to run", output);
        Assert.DoesNotContain("trial 0 (", output);
        Assert.Contains("trial 2 (3 of 3) started", output);
        Assert.Equal(finishedAt, Enumerable.Range(0, 2).Select(t => File.GetLastWriteTimeUtc(Path.Combine(sweep, $"trial-{t:D3}", "results.json"))));
        Assert.True(File.Exists(Path.Combine(sweep, "trial-002", "results.json")));
        Assert.Equal(3, File.ReadAllLines(journal).Count(l => l.Contains("\"event\":\"trial\"")));
    }

    [Fact]
    public void ReportPrintsTheLeaderboardAndDrawsPlots()
    {
        var sweep = Path.Combine(root, "sweep");
        Assert.Equal(0, CliRunner.Run("sweep", Config(GridSweep), "--out", sweep).ExitCode);
        var (code, output, error) = CliRunner.Run("sweep", "report", sweep, "--markdown");
        Assert.True(code == 0, error);
        Assert.Contains("| rank | trial | train.lr | val_loss | epochs | status |", output);
        Assert.Equal(3, output.Split('\n').Count(l => l.StartsWith("| 1 |") || l.StartsWith("| 2 |") || l.StartsWith("| 3 |")));
        Assert.True(File.Exists(Path.Combine(sweep, "val_loss-vs-train.lr.svg")));

        var (missing, _, missingError) = CliRunner.Run("sweep", "report", root);
        Assert.Equal(2, missing);
        Assert.Contains("sweep.jsonl", missingError);
    }

    [Fact]
    public void ParallelTrialsGiveTheSameResultsAsSequentialOnes()
    {
        // No pruner: which trials ASHA stops may depend on finishing order when trials overlap, the metrics must not.
        var config = Config("""
              method: grid
              metric: val_loss
              parameters:
                train.lr: {values: [0.01, 0.003]}
                model.dropout: {values: [0.0, 0.2]}
            """);
        double[] Values(string folder, string parallel)
        {
            var (code, _, error) = CliRunner.Run("sweep", config, "--out", Path.Combine(root, folder), "--parallel", parallel);
            Assert.True(code == 0, error);
            var journal = Training.Sweeps.SweepJournal.Read(Path.Combine(root, folder));
            return journal.Trials.OrderBy(t => t.Trial).Select(t => t.Value).ToArray();
        }
        var sequential = Values("one", "1");
        var parallel = Values("two", "2");
        Assert.Equal(4, parallel.Length);
        for (int i = 0; i < 4; i++) Assert.Equal(sequential[i], parallel[i], 4);
    }

    [Theory]
    [InlineData("  parameters:\n    model.dropout: {values: []}", "model.dropout")]
    [InlineData("  parameters:\n    train.lr: {uniform: [0.1, 0.01]}", "lo > hi")]
    [InlineData("  parameters:\n    train.lrr: {values: [0.1]}", "train.lrr")]
    [InlineData("  metric: val_f1\n  parameters:\n    train.lr: {values: [0.1]}", "val_f1")]
    [InlineData("  parameters:\n    train.lr: {log_unifrom: [0.1, 1]}", "log_unifrom")]
    [InlineData("  trails: 4\n  parameters:\n    train.lr: {values: [0.1]}", "trails")]
    [InlineData("  method: grid\n  parameters:\n    train.lr: {log_uniform: [0.001, 0.1]}", "train.lr")]
    [InlineData("  parameters: {}", "no parameters")]
    public void BadSweepsFailBeforeTrainingNamingTheProblem(string sweep, string named)
    {
        var out_ = Path.Combine(root, "bad");
        var (code, _, error) = CliRunner.Run("sweep", Config(sweep), "--out", out_);
        Assert.Equal(2, code);
        Assert.Contains(named, error);
        Assert.False(Directory.Exists(Path.Combine(out_, "trial-000")));
    }

    [Fact]
    public void AConfigWithoutASweepSectionIsRefused()
    {
        var path = Path.Combine(root, "plain.yaml");
        File.WriteAllText(path, "task: classification\n");
        var (code, _, error) = CliRunner.Run("sweep", path);
        Assert.Equal(2, code);
        Assert.Contains("no sweep: section", error);
    }
}
