using Sapling.Training.Sweeps;
using Sapling.Training.Classification;
using Sapling.Training.Progress;

namespace Sapling.Training.Tests.Sweeps;

/// <summary>The runner with a stand-in trainer that replays a table of per-epoch metrics, so no model is trained.</summary>
public sealed class SweepRunnerTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("sapling-sweep-").FullName;

    public void Dispose() => Directory.Delete(root, recursive: true);

    private static readonly SweepMetric Accuracy = SweepMetric.Parse("val_accuracy", null);
    private static readonly ParameterAxis[] Axes = [new("train.lr", true)];

    // Trial i's validation accuracy in epoch e (1-based): trial 2 is the best, trial 1 the worst.
    private static readonly double[][] Curves =
    [
        [0.50, 0.60, 0.70, 0.75, 0.78, 0.80],
        [0.30, 0.35, 0.40, 0.42, 0.44, 0.45],
        [0.60, 0.75, 0.85, 0.90, 0.92, 0.93],
        [0.55, 0.58, 0.60, 0.61, 0.62, 0.62],
    ];

    private static IReadOnlyList<Setting[]> Trials => Enumerable.Range(0, Curves.Length).Select(i => new[] { new Setting("train.lr", $"0.00{i + 1}") }).ToArray();

    /// <summary>Replays the table; records which trials ran, and throws (a crash) when asked to run <paramref name="crashAt"/>.</summary>
    private static Func<SweepTrial, Func<EpochRecord, bool>, ClassificationResult> Replay(List<int> ran, int crashAt = -1) => (trial, continueAfterEpoch) =>
    {
        lock (ran) ran.Add(trial.Id);
        Directory.CreateDirectory(trial.RunDirectory);
        var curve = Curves[trial.Id];
        bool stopped = false;
        for (int e = 1; e <= curve.Length && !stopped; e++)
        {
            if (trial.Id == crashAt && e == 3) throw new OperationCanceledException("simulated crash");
            stopped = !continueAfterEpoch(new EpochRecord { Epoch = e, ValAccuracy = curve[e - 1], ValLoss = 1 - curve[e - 1] }) && e < curve.Length;
        }
        return new ClassificationResult(trial.RunDirectory, trial.RunDirectory, null!, null!, 0, [], false, false, StoppedByCaller: stopped);
    };

    [Fact]
    public void RecordsEveryTrialWithItsBestValueAndPrunesPoorOnes()
    {
        var ran = new List<int>();
        var asha = new SuccessiveHalving(1, 2, 6, Accuracy);
        var records = new SweepRunner(root, Accuracy, asha).Run(Trials, Axes, Replay(ran));
        Assert.Equal([0, 1, 2, 3], ran);
        var byTrial = records.ToDictionary(r => r.Trial);
        Assert.Equal(TrialRecord.Complete, byTrial[0].Status);
        Assert.Equal(0.80, byTrial[0].Value);
        Assert.Equal(6, byTrial[0].Epochs);
        // Trial 1 is worse than trial 0 at rung 1 (n=2, keep 1): stopped after its first epoch.
        Assert.Equal(TrialRecord.Pruned, byTrial[1].Status);
        Assert.Equal(1, byTrial[1].Epochs);
        Assert.Equal(TrialRecord.Complete, byTrial[2].Status);
        Assert.Equal(0.93, byTrial[2].Value);
        Assert.Equal(6, byTrial[2].BestEpoch);
        // Trial 3: rung 1 {0.5, 0.3, 0.6, 0.55}, keep 2 → 0.6 and 0.55: goes on; rung 2 {0.6, 0.75, 0.58}, keep 1 → stopped.
        Assert.Equal(TrialRecord.Pruned, byTrial[3].Status);
        Assert.Equal(2, byTrial[3].Epochs);
    }

    [Fact]
    public void ARerunSkipsFinishedTrialsAndRestartsTheOneCutOff()
    {
        var first = new List<int>();
        Assert.Throws<OperationCanceledException>(() => new SweepRunner(root, Accuracy, new SuccessiveHalving(1, 2, 6, Accuracy)).Run(Trials, Axes, Replay(first, crashAt: 2)));
        Assert.Equal([0, 1, 2], first);
        File.WriteAllText(Path.Combine(root, SweepRunner.TrialFolder(2), "stale.txt"), "left by the crash");

        var second = new List<int>();
        var records = new SweepRunner(root, Accuracy, new SuccessiveHalving(1, 2, 6, Accuracy)).Run(Trials, Axes, Replay(second));
        Assert.Equal([2, 3], second);
        Assert.Equal([0, 1, 2, 3], records.Select(r => r.Trial).Order());
        Assert.False(File.Exists(Path.Combine(root, SweepRunner.TrialFolder(2), "stale.txt")));
        // The restored rung values decide as before: trial 3 is pruned exactly as in an uninterrupted sweep.
        Assert.Equal(TrialRecord.Pruned, records.Single(r => r.Trial == 3).Status);
        // Trial 2's rung reports from the crashed attempt were dropped, not counted twice.
        Assert.Single(SweepJournal.Read(root).Rungs, r => r.Trial == 2 && r.Epoch == 1);

        var third = new List<int>();
        new SweepRunner(root, Accuracy, new SuccessiveHalving(1, 2, 6, Accuracy)).Run(Trials, Axes, Replay(third));
        Assert.Empty(third);
    }

    [Fact]
    public void AFolderOfADifferentSweepIsRefused()
    {
        new SweepRunner(root, Accuracy).Run(Trials.Take(1).ToArray(), Axes, Replay([]));
        var changed = new[] { new[] { new Setting("train.lr", "0.5") } };
        var e = Assert.Throws<InvalidDataException>(() => new SweepRunner(root, Accuracy).Run(changed, Axes, Replay([])));
        Assert.Contains("trial 0", e.Message);
        var otherMetric = SweepMetric.Parse("val_loss", null);
        Assert.Throws<InvalidDataException>(() => new SweepRunner(root, otherMetric).Run(Trials, Axes, Replay([])));
    }

    [Fact]
    public void ParallelTrialsAllFinishOnce()
    {
        var ran = new List<int>();
        var records = new SweepRunner(root, Accuracy, parallel: 2).Run(Trials, Axes, Replay(ran));
        Assert.Equal([0, 1, 2, 3], ran.Order());
        Assert.All(records, r => Assert.Equal(TrialRecord.Complete, r.Status));
    }
}
