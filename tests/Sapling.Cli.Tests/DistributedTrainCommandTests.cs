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

    private static void AssertSameWeights(string expectedRun, string actualRun)
    {
        var a = SafeTensors.LoadAll(Path.Combine(expectedRun, "checkpoints", "epoch-0001", "model.safetensors"));
        var b = SafeTensors.LoadAll(Path.Combine(actualRun, "checkpoints", "epoch-0001", "model.safetensors"));
        Assert.Equal(a.Keys.Order(), b.Keys.Order());
        foreach (var key in a.Keys)
        {
            var (x, y) = (a[key].ToArray(), b[key].ToArray());
            double difference = Math.Sqrt(x.Zip(y, (p, q) => (double)(p - q) * (p - q)).Sum()), norm = Math.Sqrt(x.Sum(p => (double)p * p));
            Assert.True(difference <= 1e-5 * norm, $"{key}: relative difference {difference / norm:E2} between one process and two ranks");
        }
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
    public void UnevenShardsAndAccumulationStillMatchOneProcess()
    {
        // Batches of 63 split 32/31, the epoch's last batch of 35 splits 18/17, and two batches make a step.
        string[] settings = ["--set", "train.batch_size=63", "--set", "train.accumulation_steps=2", "--set", "train.grad_clip=0.5", "--set", "distributed.bucket_mb=0.01"];
        var single = Train("single", settings);
        var ranks = Train("ranks", [.. settings, "--nproc", "2"]);
        AssertSameWeights(single, ranks);
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
    public void MpirunIsToldAboutRootAndOversubscription()
    {
        Assert.Equal(["--bind-to", "none", "-np", "2"], MpirunLauncher.MpirunOptions(2, cores: 2, runningAsRoot: false));
        Assert.Equal(["--allow-run-as-root", "--oversubscribe", "--bind-to", "none", "-np", "4"], MpirunLauncher.MpirunOptions(4, cores: 2, runningAsRoot: true));
    }
}
