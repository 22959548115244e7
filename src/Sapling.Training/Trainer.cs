using Sapling.Distributed;
using Sapling.IO;
using Sapling.NN;
using Sapling.Optim;
using Sapling.Training.Classification;
using Sapling.Training.Runs;
using Sapling.Training.Progress;
using Sapling.Training.Guards;

namespace Sapling.Training;

/// <summary>
/// The training loop every recipe runs on (classification epochs, language-model steps and every fine-tuning method,
/// federated clients' local rounds, the fine-tune after pruning). The recipe (<see cref="ITrainingRecipe"/>) supplies
/// micro-batch losses and its validation; the trainer backpropagates them, all-reduces gradients over the process
/// group, ends each step through <see cref="TrainingStep"/> (adjustment, clipping, the non-finite guard, optimiser,
/// per-step schedule), and after each period keeps the best model, writes metrics.jsonl and a checkpoint, and stops
/// early, on the caller's word or when training diverged. A resumed run continues exactly where its checkpoint stood.
/// </summary>
public sealed class Trainer(ITrainingRecipe recipe, Optimizer optimizer)
{
    /// <summary>Clip the gradients' global norm to this; null measures it without clipping.</summary>
    public float? GradClip { get; init; }

    /// <summary>Stepped after every optimiser step (warm-up and cosine decay).</summary>
    public LrScheduler? StepSchedule { get; init; }

    /// <summary>The schedule whose state checkpoints keep (the per-step one, or one the recipe steps per period).</summary>
    public LrScheduler? Schedule { get; init; }

    /// <summary>Called with the trainable parameters once a step's gradients are complete, before clipping (FedProx).</summary>
    public Action<IReadOnlyList<(string Name, Tensor Parameter)>>? AdjustGradients { get; init; }

    /// <summary>Whether a lower monitored figure is better (a loss) or a higher one (an accuracy, an F1).</summary>
    public bool LowerIsBetter { get; init; } = true;

    /// <summary>The monitored figure's name, for messages.</summary>
    public string Monitor { get; init; } = "val_loss";

    /// <summary>Stop after this many periods without improvement; null runs them all.</summary>
    public int? Patience { get; init; }

    /// <summary>Asked after every period (its checkpoint saved); false ends the run there, which then finishes normally.</summary>
    public Func<int, bool>? ContinueAfterPeriod { get; init; }

    /// <summary>
    /// The processes training together: each computes its shard of every batch and gradients are summed. Only rank 0
    /// writes the run folder and reports.
    /// </summary>
    public IProcessGroup ProcessGroup { get; init; } = SingleProcessGroup.Instance;

    /// <summary>
    /// How gradients are synchronised across <see cref="ProcessGroup"/>'s ranks (bucket size, overlap, drills).
    /// </summary>
    public DataParallelOptions Parallelism { get; init; } = new();

    /// <summary>Receives progress messages and warnings; only rank 0's are shown. Silent by default.</summary>
    public IProgressReporter Progress { get; init; } = SilentProgress.Instance;

    /// <summary>Where metrics, checkpoints and the best model go; null keeps nothing (a federated round, a short fine-tune).</summary>
    public RunFolder? Run { get; init; }

    private bool IsWriter => ProcessGroup.Rank == 0 && Run != null;

    private IProgressReporter progress => ProcessGroup.Rank == 0 ? Progress : SilentProgress.Instance;

    /// <summary>Trains from the start, or from the checkpoint <paramref name="resumeFrom"/> resolves to.</summary>
    public TrainingOutcome Fit(string? resumeFrom = null)
    {
        Parallelism.Validate();
        var network = recipe.Network;
        var metrics = Run != null ? new MetricsLog(Run.MetricsPath) : null;
        var state = new TrainingState();
        if (resumeFrom != null)
        {
            if (Run == null) throw new InvalidOperationException("resuming needs the run folder the checkpoints are in");
            var checkpoint = CheckpointFolder.Resolve(resumeFrom);
            state = Checkpoint.Load(checkpoint, network, optimizer, Schedule);
            if (state.GeneratorState.Length > 0) Generator.Default.SetState(state.GeneratorState);
            if (IsWriter) metrics!.Truncate(state.MetricsLines);
            progress.Message(recipe.Unit == TrainingUnit.Epoch ? $"resumed from {checkpoint} after epoch {state.CompletedEpochs}" : $"resumed from {checkpoint} at step {state.GlobalStep}");
        }
        else if (IsWriter && File.Exists(Run!.MetricsPath))
        {
            File.Delete(Run.MetricsPath);
        }

        using var dataParallel = StartDataParallel(network);
        var history = new List<EpochRecord>(state.History);
        int lines = state.MetricsLines;
        bool diverged = false, stoppedEarly = false, stoppedByCaller = false;
        string unit = recipe.Unit == TrainingUnit.Epoch ? "epoch" : "step";
        for (int period = recipe.CompletedPeriods(state) + 1; period <= recipe.Periods; period++)
        {
            TrainingStep? step = null;
            optimizer.ZeroGrad();
            double stepLoss = 0;
            long stepCount = 0;
            string? divergence = null;
            foreach (var batch in recipe.Batches(period))
            {
                if (dataParallel != null) dataParallel.SyncGradients = batch.EndsStep;
                if (Parallelism.FailRank == ProcessGroup.Rank && state.GlobalStep + 1 == Parallelism.FailStep)
                    throw new InvalidOperationException($"injected failure at step {state.GlobalStep + 1} ({OptionNames.Of(nameof(DataParallelOptions.FailRank))})");
                if (batch.Loss != null) TrainingStep.Backward(batch.Loss);
                stepLoss += batch.LossValue * batch.Share;
                stepCount += batch.Count;
                if (!batch.EndsStep) continue;
                if (dataParallel != null)
                {
                    // First the gradients: no other collective may start while the communication thread is in one.
                    dataParallel.FinishGradientSync();
                    // The step's loss and size over the whole batch: the same figures, and the same guard, on every rank.
                    Span<double> totals = [stepLoss, stepCount];
                    ProcessGroup.AllReduceSum(totals);
                    (stepLoss, stepCount) = (totals[0], (long)totals[1]);
                }
                // Listed once the period has begun: a frozen backbone joins training between epochs.
                step ??= NewStep(network);
                float loss = (float)stepLoss;
                float norm = step.Finish(lossIsFinite: !TrainingMonitor.IsDiverged(loss));
                if (!float.IsFinite(norm))
                {
                    divergence = TrainingMonitor.IsDiverged(loss) ? $"loss {loss}" : $"gradient norm {norm}";
                    break;
                }
                state = state with { GlobalStep = state.GlobalStep + 1 };
                if (recipe.StepFinished(new StepResult(state.GlobalStep, loss, stepCount, norm)) is { } stepLine)
                {
                    if (IsWriter) metrics!.Append(stepLine);
                    lines++;
                }
                (stepLoss, stepCount) = (0, 0);
            }

            var evaluation = recipe.EndPeriod(period, interrupted: divergence != null, state);
            if (evaluation?.Record is { } record) history.Add(record);
            if (evaluation?.LogRecord is { } periodLine)
            {
                if (IsWriter) metrics!.Append(periodLine);
                lines++;
            }
            divergence ??= evaluation?.Divergence;
            if (AgreeWithRankZero(divergence != null))
            {
                diverged = true;
                string where = recipe.Unit == TrainingUnit.Epoch ? $"in epoch {period}" : $"at step {state.GlobalStep + 1}";
                string message = Run != null && Directory.Exists(Run.BestModelDirectory)
                    ? $"training diverged {where} ({divergence}); stopped, and the model is the best finite one, from {unit} {state.BestEpoch}"
                    : $"training diverged {where} ({divergence}) before any {unit} kept a model with finite weights; stopped, and no model was saved (lower {OptionNames.Of(nameof(TrainingOptions.LearningRate))} or set {OptionNames.Of(nameof(TrainingOptions.GradClip))})";
                progress.Warning(message);
                Log(message);
                break;
            }
            if (evaluation == null) continue;

            bool improved = BestMetric.Improves(evaluation.Monitored, state.BestMetric, LowerIsBetter);
            state = state with
            {
                CompletedEpochs = recipe.Unit == TrainingUnit.Epoch ? period : state.CompletedEpochs,
                BestMetric = improved ? evaluation.Monitored : state.BestMetric,
                BestEpoch = improved ? (recipe.Unit == TrainingUnit.Epoch ? period : (int)state.GlobalStep) : state.BestEpoch,
                EpochsWithoutImprovement = improved ? 0 : state.EpochsWithoutImprovement + 1,
                MetricsLines = lines,
                GeneratorState = Generator.Default.GetState(),
                History = history,
            };
            if (improved && IsWriter) recipe.SaveBest(Run!.BestModelDirectory);
            if (IsWriter) Checkpoint.Save(Run!.CheckpointsDirectory, network, optimizer, Schedule, state, recipe.Unit);
            if (AgreeWithRankZero(ContinueAfterPeriod?.Invoke(period) == false && period < recipe.Periods))
            {
                stoppedByCaller = true;
                Log($"stopped by the caller after {unit} {(recipe.Unit == TrainingUnit.Epoch ? period : state.GlobalStep)}");
                break;
            }
            if (Patience is int patience && AgreeWithRankZero(state.EpochsWithoutImprovement >= patience))
            {
                stoppedEarly = true;
                progress.Message($"early stopping: {Monitor} has not improved for {patience} {unit}s (best {state.BestMetric:F4} in {unit} {state.BestEpoch})");
                break;
            }
        }

        if (dataParallel != null)
        {
            string communication = $"data parallel over {ProcessGroup.Size} ranks: {dataParallel.BucketCount} gradient bucket(s) per step, {dataParallel.AllReduceTime.TotalSeconds:F2} s in all-reduce ({(dataParallel.Overlapped ? "overlapped with backward" : "after backward")}), {dataParallel.WaitTime.TotalSeconds:F2} s waiting for it after backward";
            progress.Message(communication);
            Log(communication);
        }
        return new TrainingOutcome(state with { History = history }, diverged, stoppedEarly, stoppedByCaller);
    }

    private TrainingStep NewStep(Module network)
    {
        var named = network.NamedParameters().Where(p => p.Parameter.RequiresGrad).ToList();
        return new TrainingStep(optimizer, named.Select(p => p.Parameter).ToList())
        {
            GradClip = GradClip, Schedule = StepSchedule,
            AdjustGradients = AdjustGradients == null ? null : () => AdjustGradients(named),
        };
    }

    /// <summary>
    /// With more than one rank: every replica starts from rank 0's weights and optimiser state, and the gradient
    /// all-reduce is hooked into backward. Null when training alone.
    /// </summary>
    private DataParallel? StartDataParallel(Module network)
    {
        if (ProcessGroup.Size == 1) return null;
        var (optimizerState, _) = optimizer.StateDict();
        var tensors = network.StateDict().OrderBy(e => e.Key, StringComparer.Ordinal).Select(e => e.Value)
            .Concat(optimizerState.OrderBy(e => e.Key, StringComparer.Ordinal).Select(e => e.Value)).ToList();
        DataParallel.BroadcastFromRankZero(ProcessGroup, tensors);
        var trainable = network.Parameters().Where(p => p.RequiresGrad).ToList();
        var dataParallel = new DataParallel(ProcessGroup, trainable, Parallelism);
        progress.Message($"data parallel: {ProcessGroup.Size} ranks, each with its shard of every batch; {dataParallel.BucketCount} gradient bucket(s)" + (dataParallel.Overlapped ? ", all-reduced during backward" : ", all-reduced after backward"));
        return dataParallel;
    }

    /// <summary>Rank 0's answer to a yes/no question, on every rank: a decision to stop must be taken by all or none.</summary>
    private bool AgreeWithRankZero(bool mine)
    {
        if (ProcessGroup.Size == 1) return mine;
        Span<int> flag = [mine ? 1 : 0];
        ProcessGroup.Broadcast(flag);
        return flag[0] != 0;
    }

    private void Log(string message)
    {
        if (IsWriter) Run!.Log(message);
    }
}
