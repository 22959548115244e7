using Sapling.NN;
using Sapling.Optim;
using Sapling.Training.Runs;

namespace Sapling.Training.Tests;

/// <summary>
/// The one training loop with recipes written here: what the loop itself promises whatever the recipe — steps from
/// micro-batches, the non-finite guard, best model and checkpoints at period ends, early stopping, exact resume.
/// </summary>
public class TrainerLoopTests
{
    private static readonly Tensor X = Tensor.Randn([48, 4], new Generator(3));
    private static readonly Tensor Y = Tensor.FromArray(Enumerable.Range(0, 48).Select(i => (long)(i % 3)).ToArray(), [48]);

    private static Sequential NewModel() => new(new Linear(4, 16, generator: new Generator(1)), new ReLU(), new Linear(16, 3, generator: new Generator(2)));

    private static float[] Weights(Module model) => model.Parameters().SelectMany(p => p.ToArray<float>()).ToArray();

    [Fact]
    public void AFixedStepsRecipeTrainsAsTheDocumentationShows()
    {
        var model = NewModel();
        float before = Tensor.CrossEntropy(model.Forward(X), Y).Item();
        var recipe = new FixedStepsRecipe(model, steps: 200, _ => Tensor.CrossEntropy(model.Forward(X), Y));
        var outcome = new Trainer(recipe, new AdamW(model.Parameters(), lr: 1e-2)) { GradClip = 1f }.Fit();
        Assert.False(outcome.Diverged);
        Assert.Equal(200, outcome.State.GlobalStep);
        Assert.True(Tensor.CrossEntropy(model.Forward(X), Y).Item() < before * 0.5, "200 steps of AdamW should halve the loss on 48 points");
    }

    [Fact]
    public void MicroBatchesWithTheirSharesStepAsOneBatch()
    {
        // One step over all 48 points against the same step as two micro-batches of 24, each weighted by half.
        var whole = NewModel();
        new Trainer(new FixedStepsRecipe(whole, 3, _ => Tensor.CrossEntropy(whole.Forward(X), Y)), new Sgd(whole.Parameters(), 0.1)).Fit();
        var halves = NewModel();
        new Trainer(new HalvesRecipe(halves), new Sgd(halves.Parameters(), 0.1)).Fit();
        var a = Weights(whole);
        var b = Weights(halves);
        for (int i = 0; i < a.Length; i++) Assert.Equal(a[i], b[i], 1e-5f);
    }

    [Fact]
    public void ANonFiniteLossStopsBeforeItReachesTheWeights()
    {
        var model = NewModel();
        float[]? atStepFour = null;
        var recipe = new FixedStepsRecipe(model, 10, step =>
        {
            if (step == 4) atStepFour = Weights(model);
            var loss = Tensor.CrossEntropy(model.Forward(X), Y);
            return step == 4 ? loss.Mul(float.NaN) : loss;
        });
        var outcome = new Trainer(recipe, new AdamW(model.Parameters(), lr: 1e-2)).Fit();
        Assert.True(outcome.Diverged);
        Assert.Equal(4, outcome.State.GlobalStep);
        Assert.Equal(atStepFour, Weights(model));
    }

    [Fact]
    public void KeepsTheBestPeriodStopsEarlyAndResumesExactly()
    {
        var root = Directory.CreateTempSubdirectory("sapling-trainer-").FullName;
        try
        {
            // The monitored figure improves in periods 1 and 2, then not: patience 2 stops after period 4.
            double[] figures = [5, 3, 4, 6, 1, 1];
            var model = NewModel();
            var run = new RunFolder(Path.Combine(root, "early"));
            var outcome = new Trainer(new PeriodsRecipe(model, figures), new AdamW(model.Parameters(), lr: 1e-2)) { Run = run, Patience = 2 }.Fit();
            Assert.True(outcome.StoppedEarly);
            Assert.Equal(2, outcome.State.BestEpoch);
            Assert.Equal(3, outcome.State.BestMetric);
            Assert.Equal(4, outcome.State.CompletedEpochs);
            Assert.True(File.Exists(Path.Combine(run.BestModelDirectory, "saved-at-period-2")));
            Assert.Equal(4, File.ReadAllLines(run.MetricsPath).Length);

            // Six periods straight through, against three, then a resume from the checkpoint of period 3.
            var straight = NewModel();
            new Trainer(new PeriodsRecipe(straight, figures), new AdamW(straight.Parameters(), lr: 1e-2)) { Run = new RunFolder(Path.Combine(root, "straight")) }.Fit();
            var first = NewModel();
            var resumedRun = new RunFolder(Path.Combine(root, "resumed"));
            new Trainer(new PeriodsRecipe(first, figures) { Stop = 3 }, new AdamW(first.Parameters(), lr: 1e-2)) { Run = resumedRun }.Fit();
            var second = NewModel();
            var resumed = new Trainer(new PeriodsRecipe(second, figures), new AdamW(second.Parameters(), lr: 1e-2)) { Run = resumedRun }.Fit(resumedRun.Root);
            Assert.Equal(6, resumed.State.CompletedEpochs);
            Assert.Equal(Weights(straight), Weights(second));
            Assert.Equal(File.ReadAllLines(Path.Combine(root, "straight", "metrics.jsonl")), File.ReadAllLines(resumedRun.MetricsPath));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    /// <summary>Three steps, each over the two halves of the data with half the weight each.</summary>
    private sealed class HalvesRecipe(Module<Tensor, Tensor> model) : ITrainingRecipe
    {
        public Module Network => model;
        public TrainingUnit Unit => TrainingUnit.Step;
        public int Periods => 1;
        public int CompletedPeriods(TrainingState state) => 0;

        public IEnumerable<MicroBatch> Batches(int period)
        {
            for (int step = 0; step < 3; step++)
                for (int half = 0; half < 2; half++)
                {
                    using var scope = new TensorScope();
                    var loss = Tensor.CrossEntropy(model.Forward(X.Narrow(0, 24 * half, 24)), Y.Narrow(0, 24 * half, 24));
                    yield return new MicroBatch(loss.Mul(0.5f), loss.Item(), 0.5, 24, EndsStep: half == 1);
                }
        }

        public IReadOnlyDictionary<string, object?>? StepFinished(StepResult step) => null;
        public PeriodEvaluation? EndPeriod(int period, bool interrupted, TrainingState state) => null;
        public void SaveBest(string directory) { }
    }

    /// <summary>Epochs of two steps each, whose monitored figures are given; <see cref="Stop"/> ends the run early (an interruption).</summary>
    private sealed class PeriodsRecipe(Module<Tensor, Tensor> model, double[] figures) : ITrainingRecipe
    {
        public int Stop { get; init; } = int.MaxValue;
        public Module Network => model;
        public TrainingUnit Unit => TrainingUnit.Epoch;
        public int Periods => Math.Min(figures.Length, Stop);
        public int CompletedPeriods(TrainingState state) => state.CompletedEpochs;

        public IEnumerable<MicroBatch> Batches(int period)
        {
            for (int step = 0; step < 2; step++)
            {
                using var scope = new TensorScope();
                var loss = Tensor.CrossEntropy(model.Forward(X), Y);
                yield return new MicroBatch(loss, loss.Item(), 1, 48, EndsStep: true);
            }
        }

        public IReadOnlyDictionary<string, object?>? StepFinished(StepResult step) => null;

        private int lastPeriod;

        public PeriodEvaluation? EndPeriod(int period, bool interrupted, TrainingState state) =>
            new(figures[(lastPeriod = period) - 1]) { LogRecord = new Dictionary<string, object?> { ["period"] = period, ["weights0"] = Weights(model)[0] } };

        public void SaveBest(string directory)
        {
            Directory.CreateDirectory(directory);
            foreach (var old in Directory.GetFiles(directory)) File.Delete(old);
            File.WriteAllText(Path.Combine(directory, $"saved-at-period-{lastPeriod}"), "");
        }
    }
}
