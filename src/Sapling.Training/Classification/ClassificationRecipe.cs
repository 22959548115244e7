using System.Diagnostics;
using Sapling.Autograd;
using Sapling.Data;
using Sapling.Distributed;
using Sapling.NN;
using Sapling.Optim;
using Sapling.Training.Runs;
using Sapling.Training.Progress;

namespace Sapling.Training.Classification;

/// <summary>
/// Classification on the <see cref="Trainer"/>: epochs of shuffled (and augmented) mini-batches, cross-entropy with
/// label smoothing plus the L1 penalty, micro-batches grouped into steps by <c>accumulation_steps</c>, then, when a
/// validation set is given, its loss and accuracy, the run's warnings and the epoch-wise schedules. The centralised
/// trainer and federated clients' local rounds both run it, so every train.* and augment.* option means the same in both.
/// </summary>
public sealed class ClassificationRecipe(Module<Tensor, Tensor> model, Optimizer optimizer, DataLoader loader, TrainingOptions options, int epochs) : ITrainingRecipe
{
    /// <summary>Validated after every epoch; null trains without validation (a federated client's round).</summary>
    public TensorDataset? Validation { get; init; }

    /// <summary>Dropout masks are drawn from this seed and the epoch, so a resumed epoch repeats exactly.</summary>
    public ulong Seed { get; init; } = options.Seed;

    /// <summary>The data epoch of the first period: 1 for a run, 0 for a federated round's local epochs.</summary>
    public int FirstEpoch { get; init; } = 1;

    /// <summary>
    /// The schedule <see cref="TrainingOptions.NewScheduler"/> made: a step schedule is stepped here after each epoch
    /// that finished; a cosine one after every optimiser step, by the trainer (<see cref="StepSchedule"/>).
    /// </summary>
    public LrScheduler? Schedule { get; init; }

    /// <summary>What the trainer steps after every optimiser step: the cosine schedule, else nothing.</summary>
    public LrScheduler? StepSchedule => options.Schedule == LrScheduleType.Cosine ? Schedule : null;

    private LrScheduler? EpochSchedule => options.Schedule == LrScheduleType.Step ? Schedule : null;

    /// <summary>
    /// Cuts the learning rate when the validation loss stalls, checked after each finished epoch; null for other
    /// schedules.
    /// </summary>
    public ReduceLROnPlateau? Plateau { get; init; }

    /// <summary>The ranks training together; epoch totals are summed over them before they are reported.</summary>
    public IProcessGroup ProcessGroup { get; init; } = SingleProcessGroup.Instance;

    /// <summary>Receives batch and epoch progress and warnings; silent by default.</summary>
    public IProgressReporter Progress { get; init; } = SilentProgress.Instance;

    /// <summary>Where warnings are logged (rank 0 of a run); null logs nothing.</summary>
    public RunFolder? Run { get; init; }

    /// <summary>Writes the model as it is now to a folder (the best so far).</summary>
    public Action<string>? Save { get; init; }

    /// <summary>Called at the start of each epoch, before its batches (the frozen phase of transfer learning).</summary>
    public Action<int>? BeforeEpoch { get; init; }

    /// <inheritdoc/>
    public Module Network => model;

    /// <inheritdoc/>
    public TrainingUnit Unit => TrainingUnit.Epoch;

    /// <inheritdoc/>
    public int Periods => epochs;

    /// <summary>The last epoch's record, validation included when there is any.</summary>
    public EpochRecord? LastRecord { get; private set; }

    private readonly TrainingMonitor monitor = new();
    private readonly Stopwatch runClock = new();
    private int periodsRun;
    private Stopwatch epochClock = new();
    private double lossSum, gradNormSum;
    private long correct, seen, globalSeen;
    private int steps, batch, batches;

    /// <inheritdoc/>
    public int CompletedPeriods(TrainingState state) => state.CompletedEpochs;

    /// <inheritdoc/>
    public IEnumerable<MicroBatch> Batches(int period)
    {
        int epoch = FirstEpoch + period - 1;
        BeforeEpoch?.Invoke(epoch);
        runClock.Start();
        model.Train();
        // Ranks after the first add their rank, so that shards of one batch do not share dropout masks.
        ulong rankSalt = ProcessGroup.Rank == 0 ? 0 : (ulong)ProcessGroup.Rank * 0x9E37_79B9UL;
        Generator.Default.ManualSeed(Seed * 1_000_003UL + (ulong)epoch + rankSalt);
        epochClock = Stopwatch.StartNew();
        (lossSum, gradNormSum, correct, seen, globalSeen, steps, batch) = (0, 0, 0, 0, 0, 0, 0);
        batches = loader.BatchesPerEpoch;
        Progress.EpochStarted(epoch, FirstEpoch + epochs - 1, batches);
        var weights = model.Parameters().Where(p => p.RequiresGrad && p.Rank > 1).ToList();
        foreach (var (x, y) in loader.Epoch(epoch))
        {
            bool endsStep = (batch + 1) % options.AccumulationSteps == 0 || batch + 1 == batches;
            int globalCount = loader.GlobalBatchSize(batch);
            // Each micro-batch carries its share of the step; the last group of an epoch may hold fewer batches.
            int groupStart = batch / options.AccumulationSteps * options.AccumulationSteps;
            int groupSize = Math.Min(options.AccumulationSteps, batches - groupStart);
            batch++;
            globalSeen += globalCount;
            // A rank's shard of a short last batch can be empty: it computes nothing but still joins the all-reduce.
            if (y.NumEl == 0)
            {
                x.Dispose();
                y.Dispose();
                yield return new MicroBatch(null, 0, 0, 0, endsStep);
                continue;
            }
            using (var scope = new TensorScope())
            {
                var logits = model.Forward(x);
                var loss = Tensor.CrossEntropy(logits, y, labelSmoothing: options.LabelSmoothing);
                float lossValue = loss.Item();
                if (options.L1 > 0) loss = loss.Add(Penalties.L1(weights, options.L1));
                // Gradients are summed over ranks, so each rank's mean loss is weighted by its share of the global
                // batch: the sum is then the gradient of the global batch's mean, as in one process.
                double share = (double)y.NumEl / globalCount / groupSize;
                if (ProcessGroup.Size > 1) loss = loss.Mul((float)y.NumEl / globalCount);
                if (groupSize > 1) loss = loss.Div(groupSize);
                using (NoGrad.Enter()) correct += CountCorrect(logits, y);
                lossSum += lossValue * y.NumEl;
                seen += y.NumEl;
                long count = y.NumEl;
                x.Dispose();
                y.Dispose();
                yield return new MicroBatch(loss, lossValue, share, count, endsStep);
            }
        }
    }

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, object?>? StepFinished(StepResult step)
    {
        gradNormSum += step.GradNorm;
        steps++;
        Progress.BatchFinished(batch, batches, lossSum / Math.Max(seen, 1), globalSeen / epochClock.Elapsed.TotalSeconds);
        return null;
    }

    /// <inheritdoc/>
    public PeriodEvaluation? EndPeriod(int period, bool interrupted, TrainingState state)
    {
        if (ProcessGroup.Size > 1)
        {
            Span<double> totals = [lossSum, correct, seen];
            ProcessGroup.AllReduceSum(totals);
            (lossSum, correct, seen) = (totals[0], (long)totals[1], (long)totals[2]);
        }
        periodsRun++;
        var record = new EpochRecord
        {
            Epoch = FirstEpoch + period - 1,
            Step = state.GlobalStep,
            TrainLoss = seen > 0 ? lossSum / seen : double.NaN,
            TrainAccuracy = seen > 0 ? (double)correct / seen : double.NaN,
            LearningRate = optimizer.ParamGroups[^1].LearningRate,
            GradNorm = gradNormSum / Math.Max(steps, 1),
            Seconds = epochClock.Elapsed.TotalSeconds,
            SamplesPerSecond = seen / epochClock.Elapsed.TotalSeconds,
        };
        if (Validation == null)
        {
            LastRecord = record;
            if (!interrupted) EpochSchedule?.Step();
            return new PeriodEvaluation(double.NaN) { Record = record };
        }
        var (valLoss, valAccuracy) = ClassificationTrainer.Evaluate(model, Validation);
        record = record with { ValLoss = valLoss, ValAccuracy = valAccuracy };
        LastRecord = record;
        Progress.EpochFinished(record, TimeSpan.FromSeconds(runClock.Elapsed.TotalSeconds / periodsRun * (epochs - period)));
        foreach (var warning in monitor.Check([.. state.History, record]))
        {
            Progress.Warning(warning);
            Run?.Log("warning: " + warning);
        }
        string? divergence = interrupted ? null
            : TrainingMonitor.IsDiverged(record.TrainLoss) || TrainingMonitor.IsDiverged(valLoss) ? $"loss {record.TrainLoss}, validation loss {valLoss}" : null;
        if (!interrupted && divergence == null)
        {
            Plateau?.Step(valLoss);
            EpochSchedule?.Step();
        }
        double monitored = options.Monitor == "val_accuracy" ? valAccuracy : valLoss;
        return new PeriodEvaluation(monitored) { Record = record, LogRecord = record.ToLogRecord(), Divergence = divergence };
    }

    /// <inheritdoc/>
    public void SaveBest(string directory) =>
        (Save ?? throw new InvalidOperationException("this classification recipe was given no way to save its model"))(directory);

    /// <summary>How many of <paramref name="labels"/> the logits' arg-max gets right.</summary>
    internal static long CountCorrect(Tensor logits, Tensor labels)
    {
        var predicted = logits.ArgMax(-1).AsSpan<long>();
        var truth = labels.AsSpan<long>();
        long correct = 0;
        for (int i = 0; i < truth.Length; i++) if (predicted[i] == truth[i]) correct++;
        return correct;
    }
}
