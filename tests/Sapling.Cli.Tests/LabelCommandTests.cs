using System.IO.Compression;

namespace Sapling.Cli.Tests;

[Collection("cli")]
public sealed class LabelCommandTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("sapling-cli-label-").FullName;

    public void Dispose() => Directory.Delete(root, recursive: true);

    private static string Digits => Testing.Fixtures.DigitsPath;

    private static string[] DigitRows(int skip, int take)
    {
        using var reader = new StreamReader(new GZipStream(File.OpenRead(Digits), CompressionMode.Decompress));
        return reader.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(skip).Take(take).ToArray();
    }

    private string Config(string name = "tiny.yaml")
    {
        var path = Path.Combine(root, name);
        File.WriteAllText(path, $"""
            task: classification
            data:
              path: {Digits}
              input_scale: 16
            model:
              type: mlp
              hidden_sizes: [16]
            train:
              epochs: 2
              batch_size: 16
              lr: 0.01
            """);
        return path;
    }

    /// <summary>A tiny model, and a pool of 30 digits with their label column emptied.</summary>
    private (string Model, string Pool) ModelAndPool()
    {
        var run = Path.Combine(root, "run");
        var (code, _, error) = CliRunner.Run("train", Config(), "--out", run, "--plain");
        Assert.True(code == 0, error);
        var pool = Path.Combine(root, "pool.csv");
        File.WriteAllLines(pool, DigitRows(0, 30).Select(r => r[..(r.LastIndexOf(',') + 1)]));
        return (Path.Combine(run, "model"), pool);
    }

    private static List<string[]> Rows(string csv) => File.ReadAllLines(csv).Skip(1).Select(l => l.Split(',')).ToList();

    [Fact]
    public void SuggestRanksThePoolAndTheLabelsMergeBack()
    {
        var (model, pool) = ModelAndPool();
        var margin = Path.Combine(root, "margin.csv");
        var (code, output, error) = CliRunner.Run("label", "suggest", "--model", model, "--pool", pool, "--n", "5", "--strategy", "margin", "--out", margin);
        Assert.True(code == 0, error);
        Assert.Contains("wrote 5 of 30", output);
        var rows = Rows(margin);
        Assert.Equal("id,score,guess,label", string.Join(",", File.ReadLines(margin).First().Split(',').Take(4)));
        Assert.Equal(5, rows.Select(r => r[0]).Distinct().Count());
        var scores = rows.Select(r => double.Parse(r[1], System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(scores.Order(), scores);
        Assert.All(rows, r => Assert.Equal("", r[3]));
        Assert.All(rows, r => Assert.InRange(int.Parse(r[2]), 0, 9));
        Assert.All(rows, r => Assert.Equal(68, r.Length));

        var entropy = Path.Combine(root, "entropy.csv");
        Assert.Equal(0, CliRunner.Run("label", "suggest", "--model", model, "--pool", pool, "--n", "30", "--out", entropy).ExitCode);
        var entropies = Rows(entropy).Select(r => double.Parse(r[1], System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(entropies.OrderDescending(), entropies);

        // The oracle: the true labels of the suggested rows, by id (= row of the pool, = row of the digits file).
        var truth = DigitRows(0, 30).Select(r => r[(r.LastIndexOf(',') + 1)..].Trim()).ToArray();
        File.WriteAllLines(margin, [File.ReadLines(margin).First(), .. rows.Select(r => string.Join(",", [r[0], r[1], r[2], truth[int.Parse(r[0])], .. r.Skip(4)]))]);
        var train = Path.Combine(root, "train.csv");
        File.WriteAllLines(train, DigitRows(100, 50));
        var merged = Path.Combine(root, "merged.csv");
        (code, output, error) = CliRunner.Run("label", "merge", "--train", train, "--labels", margin, "--out", merged);
        Assert.True(code == 0, error);
        Assert.Contains("added 5 labelled rows", output);
        Assert.Equal(55, File.ReadAllLines(merged).Length);
    }

    [Fact]
    public void RandomSuggestionsAreSeeded()
    {
        var (model, pool) = ModelAndPool();
        string[] Ids(string seed)
        {
            var file = Path.Combine(root, $"random-{seed}.csv");
            Assert.Equal(0, CliRunner.Run("label", "suggest", "--model", model, "--pool", pool, "--n", "10", "--strategy", "random", "--seed", seed, "--out", file).ExitCode);
            return Rows(file).Select(r => r[0]).ToArray();
        }
        Assert.Equal(Ids("3"), Ids("3"));
        Assert.NotEqual(Ids("3"), Ids("4"));
    }

    [Fact]
    public void AnEmptyPoolAndAnUnknownStrategyAreClearErrors()
    {
        var (model, _) = ModelAndPool();
        var empty = Path.Combine(root, "empty.csv");
        File.WriteAllText(empty, "");
        var (code, _, error) = CliRunner.Run("label", "suggest", "--model", model, "--pool", empty, "--out", Path.Combine(root, "s.csv"));
        Assert.Equal(2, code);
        Assert.Contains("is empty", error);
        (code, _, error) = CliRunner.Run("label", "suggest", "--model", model, "--pool", empty, "--strategy", "least", "--out", Path.Combine(root, "s.csv"));
        Assert.Equal(2, code);
        Assert.Contains("'least'", error);
    }

    [Fact]
    public void MergeRefusesUnknownLabels()
    {
        var train = Path.Combine(root, "train.csv");
        File.WriteAllLines(train, DigitRows(0, 20));
        var labels = Path.Combine(root, "labels.csv");
        File.WriteAllText(labels, "id,score,guess,label," + string.Join(",", Enumerable.Range(0, 64).Select(i => $"x{i}")) + "\n"
            + "4,0.5,3,eleven," + string.Join(",", Enumerable.Repeat("0", 64)) + "\n");
        var (code, _, error) = CliRunner.Run("label", "merge", "--train", train, "--labels", labels, "--out", Path.Combine(root, "merged.csv"));
        Assert.Equal(2, code);
        Assert.Contains("unknown label 'eleven'", error);
        Assert.False(File.Exists(Path.Combine(root, "merged.csv")));
    }

    [Fact]
    public void SimulateDrawsLearningCurvesForEveryStrategy()
    {
        var outDir = Path.Combine(root, "al");
        var (code, output, error) = CliRunner.Run("label", "simulate", Config(), "--seeds", "0", "--initial", "20", "--batch", "10", "--rounds", "1", "--out", outDir);
        Assert.True(code == 0, error);
        Assert.Contains("| labels | entropy (median of 1) | margin (median of 1) | random (median of 1) |", output);
        Assert.Contains("| 30 |", output);
        Assert.True(File.Exists(Path.Combine(outDir, "learning-curves.svg")));
        Assert.Equal(6, File.ReadAllLines(Path.Combine(outDir, "learning-curves.jsonl")).Length);
        Assert.True(File.Exists(Path.Combine(outDir, "margin-seed0", "round-01", "model", "model.safetensors")));
    }
}
