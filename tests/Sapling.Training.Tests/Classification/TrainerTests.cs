using Sapling.IO;
using Sapling.Models.Classifiers;
using Sapling.Data.Vision;
using Sapling.Training.Classification;
using Sapling.Training.Progress;
using Sapling.Training.Guards;

namespace Sapling.Training.Tests.Classification;

public sealed class TrainerTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("sapling-train-").FullName;

    public void Dispose() => Directory.Delete(root, recursive: true);

    private static string DigitsPath => Path.GetFullPath(Path.Combine(Testing.Fixtures.Directory, "..", "..", "data", "digits.csv.gz"));

    private static readonly DataOptions Digits = new() { Path = DigitsPath, InputScale = 16, ExampleShape = [1, 8, 8] };

    private static readonly ClassifierConfig SmallCnn = new() { ModelType = "cnn", Channels = [8, 16], HiddenSize = 32, Dropout = 0.2f };

    private static TrainingOptions Options(int epochs) => new()
    {
        Epochs = epochs, BatchSize = 64, Optimizer = OptimizerType.AdamW, LearningRate = 3e-3, Schedule = LrScheduleType.Cosine, WarmupSteps = 5, Seed = 4,
        Augment = new ImageAugment { RotationDegrees = 10, Translate = 0.1f },
    };

    private sealed class Quiet(int crashAtEpoch = int.MaxValue) : IProgressReporter
    {
        public List<string> Warnings { get; } = new();

        public void EpochStarted(int epoch, int totalEpochs, int batches)
        {
            if (epoch == crashAtEpoch) throw new OperationCanceledException($"simulated crash at the start of epoch {epoch}");
        }

        public void BatchFinished(int batch, int batches, double meanLoss, double samplesPerSecond) { }
        public void EpochFinished(EpochRecord record, TimeSpan eta) { }
        public void Warning(string message) => Warnings.Add(message);
        public void Message(string message) { }
    }

    [Fact]
    public void ResumingGivesBitIdenticalWeights()
    {
        var straight = new ClassificationTrainer(SmallCnn, Digits, Options(4), new Quiet()).Run(Path.Combine(root, "straight"));
        var halfDir = Path.Combine(root, "half");
        Assert.Throws<OperationCanceledException>(() => new ClassificationTrainer(SmallCnn, Digits, Options(4), new Quiet(crashAtEpoch: 3)).Run(halfDir));
        var resumed = new ClassificationTrainer(SmallCnn, Digits, Options(4), new Quiet()).Run(halfDir, resumeFrom: halfDir);

        var a = SafeTensors.LoadAll(Path.Combine(straight.RunDirectory, "checkpoints", "epoch-0004", "model.safetensors"));
        var b = SafeTensors.LoadAll(Path.Combine(resumed.RunDirectory, "checkpoints", "epoch-0004", "model.safetensors"));
        Assert.Equal(a.Keys, b.Keys);
        foreach (var key in a.Keys)
            if (a[key].DType == DType.Float32) Assert.Equal(a[key].ToArray(), b[key].ToArray());
        var optA = SafeTensors.LoadAll(Path.Combine(straight.RunDirectory, "checkpoints", "epoch-0004", "optimizer.safetensors"));
        var optB = SafeTensors.LoadAll(Path.Combine(resumed.RunDirectory, "checkpoints", "epoch-0004", "optimizer.safetensors"));
        foreach (var key in optA.Keys.Where(k => optA[k].DType == DType.Float32)) Assert.Equal(optA[key].ToArray(), optB[key].ToArray());
        Assert.Equal(straight.History.Select(h => h.ValLoss), resumed.History.Select(h => h.ValLoss));
        Assert.Equal(4, File.ReadAllLines(Path.Combine(halfDir, "metrics.jsonl")).Length);
    }

    [Fact]
    public void GradientAccumulationMatchesTheLargerBatch()
    {
        var plain = Options(1) with { Optimizer = OptimizerType.Sgd, Momentum = 0, Schedule = LrScheduleType.None, LearningRate = 0.05, Augment = new ImageAugment() };
        var model = SmallCnn with { Dropout = 0 };
        var whole = new ClassificationTrainer(model, Digits, plain with { BatchSize = 64 }, new Quiet()).Run(Path.Combine(root, "whole"));
        var halves = new ClassificationTrainer(model, Digits, plain with { BatchSize = 32, AccumulationSteps = 2 }, new Quiet()).Run(Path.Combine(root, "halves"));
        var a = SafeTensors.LoadAll(Path.Combine(whole.RunDirectory, "checkpoints", "epoch-0001", "model.safetensors"));
        var b = SafeTensors.LoadAll(Path.Combine(halves.RunDirectory, "checkpoints", "epoch-0001", "model.safetensors"));
        foreach (var key in a.Keys) Testing.TensorAssert.Close(a[key], b[key], rtol: 1e-3f, atol: 1e-5f, what: key);
        Assert.Equal(whole.History[0].Step, halves.History[0].Step);
    }

    [Fact]
    public void ASingleProcessGroupTrainsExactlyAsNoGroup()
    {
        var options = Options(1);
        var alone = new ClassificationTrainer(SmallCnn, Digits, options, new Quiet()).Run(Path.Combine(root, "alone"));
        var grouped = new ClassificationTrainer(SmallCnn, Digits, options, new Quiet()) { ProcessGroup = Distributed.SingleProcessGroup.Instance }.Run(Path.Combine(root, "grouped"));
        var a = SafeTensors.LoadAll(Path.Combine(alone.RunDirectory, "checkpoints", "epoch-0001", "model.safetensors"));
        var b = SafeTensors.LoadAll(Path.Combine(grouped.RunDirectory, "checkpoints", "epoch-0001", "model.safetensors"));
        foreach (var key in a.Keys) Assert.Equal(a[key].ToArray(), b[key].ToArray());
        Assert.Equal(alone.History[0].TrainLoss, grouped.History[0].TrainLoss);
    }

    [Fact]
    public void RunFolderHoldsEverythingTheReadmePromises()
    {
        var result = new ClassificationTrainer(SmallCnn, Digits, Options(2), new Quiet()).Run(Path.Combine(root, "run"), resolvedConfigYaml: "task: classification\n");
        foreach (var file in new[] { "config.yaml", "metrics.jsonl", "curves.svg", "confusion_matrix.svg", "results.json", "classification_report.txt", "model/config.json", "model/model.safetensors" })
            Assert.True(File.Exists(Path.Combine(result.RunDirectory, file)), $"missing {file}");
        var results = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(result.RunDirectory, "results.json"))).RootElement;
        Assert.InRange(results.GetProperty("test").GetProperty("accuracy").GetDouble(), 0.2, 1.0);
        Assert.True(results.GetProperty("test").TryGetProperty("macro_f1", out _));
        var model = ClassifierFolder.Load(result.ModelDirectory);
        Assert.Equal("7", model.Config.LabelOf(7));
        Assert.NotNull(model.Config.Normalization);
    }

    [Fact]
    public void DivergenceBeforeAnyGoodEpochSavesNoModelAndSaysSo()
    {
        var quiet = new Quiet();
        var options = Options(6) with { Optimizer = OptimizerType.Sgd, LearningRate = 1e6, Momentum = 0.9, Schedule = LrScheduleType.None };
        var dir = Path.Combine(root, "nan");
        var error = Assert.Throws<TrainingDivergedException>(() => new ClassificationTrainer(SmallCnn with { Dropout = 0 }, Digits, options, quiet).Run(dir));
        Assert.Contains("no model was saved", error.Message);
        Assert.Contains(quiet.Warnings, w => w.Contains("diverged") && w.Contains("no model"));
        Assert.False(Directory.Exists(Path.Combine(dir, "model")), "a diverged run must not leave a model folder");
        var results = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "results.json"))).RootElement;
        Assert.True(results.GetProperty("diverged").GetBoolean());
        foreach (var checkpoint in Directory.Exists(Path.Combine(dir, "checkpoints")) ? Directory.GetDirectories(Path.Combine(dir, "checkpoints")) : [])
            foreach (var (_, t) in SafeTensors.LoadAll(Path.Combine(checkpoint, "model.safetensors")))
                Assert.True(t.AllFinite(), $"{checkpoint} holds non-finite weights");
    }

    [Fact]
    public void DivergenceAfterGoodEpochsKeepsTheBestFiniteModel()
    {
        var quiet = new Quiet();
        // Two good epochs at lr 0.05, then the step schedule multiplies it by 10^4 and training blows up.
        var options = Options(6) with { Optimizer = OptimizerType.Sgd, LearningRate = 0.05, Momentum = 0.9, Schedule = LrScheduleType.Step, StepSize = 2, Gamma = 1e4, Augment = new ImageAugment() };
        var result = new ClassificationTrainer(SmallCnn with { Dropout = 0 }, Digits, options, quiet).Run(Path.Combine(root, "late-nan"));
        Assert.True(result.Diverged);
        Assert.InRange(result.BestEpoch, 1, 2);
        Assert.Contains(quiet.Warnings, w => w.Contains("diverged") && w.Contains("best finite one"));
        var model = ClassifierFolder.Load(result.ModelDirectory);
        Assert.All(model.Module.Parameters(), p => Assert.True(p.AllFinite()));
        Assert.True(result.Test.Accuracy > 0.5, $"the kept model should be the good one, test accuracy {result.Test.Accuracy}");
    }

    [Theory]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void NonFiniteOptionsAreRefused(double lr)
    {
        var error = Assert.Throws<ArgumentException>(() => (Options(1) with { LearningRate = lr }).Validate());
        Assert.Contains("LearningRate", error.Message);
        Assert.Throws<ArgumentException>(() => (Options(1) with { GradClip = float.NaN }).Validate());
    }

    [Fact]
    public void EarlyStoppingEndsTheRun()
    {
        var options = Options(30) with { Patience = 1, Monitor = "val_accuracy", LearningRate = 0.05, Optimizer = OptimizerType.Sgd, Schedule = LrScheduleType.None };
        var result = new ClassificationTrainer(SmallCnn, Digits, options, new Quiet()).Run(Path.Combine(root, "early"));
        Assert.True(result.StoppedEarly);
        Assert.True(result.History.Count < 30);
    }

    [Fact]
    public void InterruptedCheckpointIsIgnoredOnResume()
    {
        var dir = Path.Combine(root, "interrupted");
        new ClassificationTrainer(SmallCnn, Digits, Options(1), new Quiet()).Run(dir);
        // A crash while writing the next checkpoint leaves a .partial folder behind.
        var partial = Path.Combine(dir, "checkpoints", "epoch-0002.partial");
        Directory.CreateDirectory(partial);
        File.WriteAllText(Path.Combine(partial, "model.safetensors"), "half written");
        Assert.EndsWith("epoch-0001", CheckpointFolder.Resolve(dir));
        var resumed = new ClassificationTrainer(SmallCnn, Digits, Options(2), new Quiet()).Run(dir, resumeFrom: dir);
        Assert.Equal(2, resumed.History.Count);
        // The next save cleared the orphaned folder.
        Assert.False(Directory.Exists(partial), "an orphaned .partial folder must not stay");
    }

    [Fact]
    public void AKillBeforeTheFirstLatestJsonStillResumesFromTheCompleteCheckpoint()
    {
        var dir = Path.Combine(root, "first-save");
        new ClassificationTrainer(SmallCnn, Digits, Options(1), new Quiet()).Run(dir);
        // The state a kill between the folder's rename and the first latest.json write leaves.
        File.Delete(Path.Combine(dir, "checkpoints", "latest.json"));
        Assert.EndsWith("epoch-0001", CheckpointFolder.Resolve(dir));
        var resumed = new ClassificationTrainer(SmallCnn, Digits, Options(2), new Quiet()).Run(dir, resumeFrom: dir);
        Assert.Equal(2, resumed.History.Count);
    }

    [Fact]
    public void TransferLearningReusesTheBackboneWithANewHead()
    {
        var pretrained = new ClassificationTrainer(SmallCnn, Digits with { Classes = [0, 1, 2, 3, 4] }, Options(2), new Quiet()).Run(Path.Combine(root, "pre"));
        var options = Options(1) with { InitFrom = pretrained.ModelDirectory, FreezeBackbone = true };
        var result = new ClassificationTrainer(SmallCnn, Digits with { Classes = [5, 6, 7, 8, 9], TrainSubset = 0.1 }, options, new Quiet()).Run(Path.Combine(root, "transfer"));
        var before = SafeTensors.LoadAll(Path.Combine(pretrained.ModelDirectory, "model.safetensors"));
        var after = SafeTensors.LoadAll(Path.Combine(result.ModelDirectory, "model.safetensors"));
        Assert.Equal(before["features.0.weight"].ToArray(), after["features.0.weight"].ToArray());
        Assert.Equal(new[] { 5, 32 }, after["head.weight"].Shape);
        Assert.Equal("9", ClassifierFolder.Load(result.ModelDirectory).Config.LabelOf(4));
    }

    [Fact]
    public void TheEpochHookSeesEveryEpochAndCanStopTheRun()
    {
        var seen = new List<int>();
        var trainer = new ClassificationTrainer(SmallCnn, Digits, Options(4), new Quiet()) { ContinueAfterEpoch = r => { seen.Add(r.Epoch); return r.Epoch < 2; } };
        var result = trainer.Run(Path.Combine(root, "hooked"));
        Assert.Equal([1, 2], seen);
        Assert.True(result.StoppedByCaller);
        Assert.Equal(2, result.History.Count);
        Assert.Contains("\"stopped_by_caller\": true", File.ReadAllText(Path.Combine(result.RunDirectory, "results.json")));
        Assert.True(Directory.Exists(result.ModelDirectory));

        // Returning false after the last epoch is not a stop: the run trained everything it was asked to.
        var full = new ClassificationTrainer(SmallCnn, Digits, Options(1), new Quiet()) { ContinueAfterEpoch = _ => false }.Run(Path.Combine(root, "full"));
        Assert.False(full.StoppedByCaller);
    }
}
