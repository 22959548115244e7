using System.Diagnostics;
using Sapling.Cli.Commands;
using Sapling.IO;
using Sapling.Testing;

namespace Sapling.Cli.Tests;

[Collection("cli")]
public sealed class DistributedTrainCommandTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("sapling-cli-mpi-").FullName;

    public void Dispose() => Directory.Delete(root, recursive: true);

    private static string Config => Path.Combine(AppContext.BaseDirectory, "configs", "digits-mlp.yaml");

    // Dropout draws differ between one process and two (each rank has its own masks), so the comparison turns it off.
    private static readonly string[] Deterministic = ["--set", "model.dropout=0", "--set", "model.hidden_sizes=[64]", "--set", "train.epochs=1", "--set", "train.patience=null"];

    private string Train(string name, params string[] extra)
    {
        var output = Path.Combine(root, name);
        var (code, stdout, error) = CliRunner.Run(["train", Config, "--out", output, "--plain", .. Deterministic, .. extra]);
        Assert.True(code == 0, error + stdout);
        return output;
    }

    /// <summary>Relative 2-norm difference at most 1e-5, per tensor or (<paramref name="wholeModel"/>) over all weights at once.</summary>
    private static void AssertSameWeights(string expectedRun, string actualRun, string checkpoint = "epoch-0001", bool wholeModel = false)
    {
        var a = SafeTensors.LoadAll(Path.Combine(expectedRun, "checkpoints", checkpoint, "model.safetensors"));
        var b = SafeTensors.LoadAll(Path.Combine(actualRun, "checkpoints", checkpoint, "model.safetensors"));
        Assert.Equal(a.Keys.Order(), b.Keys.Order());
        double totalDifference = 0, totalNorm = 0;
        foreach (var key in a.Keys)
        {
            var (x, y) = (a[key].ToArray(), b[key].ToArray());
            double difference = x.Zip(y, (p, q) => (double)(p - q) * (p - q)).Sum(), norm = x.Sum(p => (double)p * p);
            (totalDifference, totalNorm) = (totalDifference + difference, totalNorm + norm);
            if (!wholeModel) Assert.True(Math.Sqrt(difference) <= 1e-5 * Math.Sqrt(norm), $"{key}: relative difference {Math.Sqrt(difference / norm):E2} between one process and two ranks");
        }
        Assert.True(Math.Sqrt(totalDifference) <= 1e-5 * Math.Sqrt(totalNorm), $"relative difference {Math.Sqrt(totalDifference / totalNorm):E2} between one process and two ranks");
    }

    [MpiFact]
    public void TwoRanksWithHalfBatchesMatchOneProcessWithTheWholeBatch()
    {
        // One epoch of the digits' 1295 training examples in batches of 64: 21 steps, each rank taking 32 (the last 15/14).
        // SGD, unlike Adam, is not blind to the gradient's scale: a sum where a mean belongs would show.
        string[] settings = ["--set", "train.batch_size=64", "--set", "train.optimizer=sgd", "--set", "train.lr=0.05"];
        var single = Train("single", settings);
        var ranks = Train("ranks", [.. settings, "--nproc", "2"]);
        AssertSameWeights(single, ranks);
        // Rank 0 alone wrote the run folder: one metrics line per epoch, not one per rank.
        Assert.Single(File.ReadAllLines(Path.Combine(ranks, "metrics.jsonl")));
        Assert.Contains("data parallel over 2 ranks", File.ReadAllText(Path.Combine(ranks, "train.log")));
    }

    [MpiFact]
    public void AResumedRunMayChangeItsNumberOfRanks()
    {
        // Epoch 1 in one process, epoch 2 resumed on two ranks: the same weights as two epochs in one process. A constant
        // learning rate keeps the schedule out of it (a cosine schedule's length is the run's epoch count).
        string[] settings = ["--set", "train.batch_size=64", "--set", "train.optimizer=sgd", "--set", "train.lr=0.05", "--set", "train.schedule=none"];
        var single = Train("two-epochs", [.. settings, "--set", "train.epochs=2"]);
        var resumed = Train("resumed", [.. settings, "--set", "train.epochs=1"]);
        var (code, stdout, error) = CliRunner.Run(["train", Config, "--out", resumed, "--plain", .. Deterministic, .. settings,
            "--set", "train.epochs=2", "--resume", resumed, "--nproc", "2"]);
        Assert.True(code == 0, error + stdout);
        AssertSameWeights(single, resumed, "epoch-0002");
        Assert.Equal(2, File.ReadAllLines(Path.Combine(resumed, "metrics.jsonl")).Length);
    }

    [MpiFact]
    public void UnevenShardsAndAccumulationStillMatchOneProcess()
    {
        // Batches of 63 split 32/31, the epoch's last batch of 35 splits 18/17, and two batches make a step.
        string[] settings = ["--set", "train.batch_size=63", "--set", "train.accumulation_steps=2", "--set", "train.grad_clip=0.5", "--set", "distributed.bucket_mb=0.01"];
        var single = Train("single", settings);
        var ranks = Train("ranks", [.. settings, "--nproc", "2"]);
        AssertSameWeights(single, ranks);
    }

    [MpiFact]
    public void TwoRanksPretrainAGptAsOneProcessDoes()
    {
        var config = Path.Combine(AppContext.BaseDirectory, "configs", "tang-char.yaml");
        // 6 steps of a small character GPT, batches of 8 rows: 4 per rank. Adam would hide a wrongly scaled gradient,
        // but clipping at 0.5 (the norm here is about 2) does not.
        string[] settings = ["train", config, "--plain", "--set", "model.dropout=0", "--set", "model.layers=2", "--set", "model.width=64",
            "--set", "train.steps=6", "--set", "train.eval_interval=6", "--set", "train.eval_batches=2", "--set", "train.batch_size=8",
            "--set", "train.warmup_steps=2", "--set", "train.grad_clip=0.5", "--set", "train.sample_tokens=0"];
        var (single, ranks) = (Path.Combine(root, "lm-single"), Path.Combine(root, "lm-ranks"));
        var (code, stdout, error) = CliRunner.Run([.. settings, "--out", single]);
        Assert.True(code == 0, error + stdout);
        (code, stdout, error) = CliRunner.Run([.. settings, "--out", ranks, "--nproc", "2"]);
        Assert.True(code == 0, error + stdout);
        // Over the whole model: the key part of attention's bias has an exactly zero gradient (softmax ignores a shift
        // shared by all keys), so what it receives is rounding noise, which Adam normalises into values of about 1e-6
        // that differ with summation order alone (6e-5 of that tensor's norm; queries and values agree to 1e-9).
        AssertSameWeights(single, ranks, "step-0000006", wholeModel: true);
        // Adam and clipping would both hide a wrongly scaled gradient; the logged norm before clipping does not.
        Assert.Equal(GradNorms(single), GradNorms(ranks), (x, y) => Math.Abs(x - y) <= 1e-5 * Math.Abs(x));
        Assert.Equal(7, File.ReadAllLines(Path.Combine(ranks, "metrics.jsonl")).Length);
    }

    private static List<double> GradNorms(string run)
    {
        var norms = new List<double>();
        foreach (var line in File.ReadLines(Path.Combine(run, "metrics.jsonl")))
        {
            using var record = System.Text.Json.JsonDocument.Parse(line);
            if (record.RootElement.GetProperty("kind").GetString() == "step") norms.Add(record.RootElement.GetProperty("grad_norm").GetDouble());
        }
        Assert.Equal(6, norms.Count);
        return norms;
    }

    [MpiFact]
    public void AFailingRankStopsEveryRankWithItsError()
    {
        var clock = Stopwatch.StartNew();
        var (code, stdout, error) = CliRunner.Run(["train", Config, "--out", Path.Combine(root, "fail"), .. Deterministic,
            "--set", "distributed.fail_rank=1", "--set", "distributed.fail_step=3", "--nproc", "2"]);
        Assert.NotEqual(0, code);
        Assert.Contains("rank 1 of 2 failed: injected failure at step 3", error + stdout);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"the job took {clock.Elapsed} to stop");
    }

    [Fact]
    public void NprocWithoutOpenMpiSaysWhatToInstall()
    {
        var path = Environment.GetEnvironmentVariable("PATH");
        Environment.SetEnvironmentVariable("PATH", root);
        try
        {
            var (code, _, error) = CliRunner.Run("train", Config, "--out", Path.Combine(root, "x"), "--nproc", "2");
            Assert.Equal(2, code);
            Assert.Contains("apt-get install openmpi-bin", error);
        }
        finally
        {
            Environment.SetEnvironmentVariable("PATH", path);
        }
    }

    [Fact]
    public void BadProcessAndThreadCountsAreClearErrors()
    {
        var (code, _, error) = CliRunner.Run("train", Config, "--out", Path.Combine(root, "x"), "--threads", "-1");
        Assert.Equal(2, code);
        Assert.Contains("--threads must be ≥ 1", error);
        (code, _, error) = CliRunner.Run("train", Config, "--out", Path.Combine(root, "x"), "--nproc", "0");
        Assert.Equal(2, code);
        Assert.Contains("--nproc must be ≥ 1", error);
    }

    [Fact]
    public void MpirunIsToldAboutRootAndOversubscription()
    {
        Assert.Equal(["--bind-to", "none", "-np", "2"], MpirunLauncher.MpirunOptions(2, cores: 2, runningAsRoot: false));
        Assert.Equal(["--allow-run-as-root", "--oversubscribe", "--bind-to", "none", "-np", "4"], MpirunLauncher.MpirunOptions(4, cores: 2, runningAsRoot: true));
    }
}
