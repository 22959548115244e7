using System.Diagnostics;
using Sapling.Autograd;
using Sapling.Data;
using Sapling.Distributed;
using Sapling.NN;
using Sapling.Optim;

namespace Sapling.Training;

/// <summary>
/// One epoch of mini-batch classification training, the loop every classification recipe runs (the centralised
/// trainer, federated clients' local rounds): cross-entropy with label smoothing, the L1 penalty, gradient
/// accumulation, an optional gradient adjustment (FedProx's pull towards the global weights), clipping, the guard that
/// stops at a non-finite gradient before it reaches the weights, the optimiser and a per-step schedule; data-parallel
/// ranks sum their gradients. Nothing else calls Backward on a classification loss.
/// </summary>
public sealed class ClassificationEpoch(Module<Tensor, Tensor> model, Optimizer optimizer, TrainingOptions options)
{
    /// <summary>Stepped after every optimiser step (cosine with warm-up); epoch-wise schedules are the caller's.</summary>
    public LrScheduler? StepSchedule { get; init; }

    /// <summary>Called with the trainable parameters after the step's gradients are complete, before clipping (under no-grad).</summary>
    public Action<IReadOnlyList<(string Name, Tensor Parameter)>>? AdjustGradients { get; init; }

    public IProcessGroup ProcessGroup { get; init; } = SingleProcessGroup.Instance;

    public DataParallel? DataParallel { get; init; }

    /// <summary>The step at which a rank fails on purpose (distributed.fail_rank / fail_step drills).</summary>
    public DataParallelOptions Parallelism { get; init; } = new();

    public IProgressReporter Progress { get; init; } = SilentProgress.Instance;

    /// <summary>
    /// Trains one pass over <paramref name="loader"/>'s epoch <paramref name="epoch"/>; dropout masks are drawn from
    /// <paramref name="seed"/> and the epoch (and the rank), so a resumed epoch repeats exactly.
    /// </summary>
    /// <param name="globalStep">Optimiser steps taken so far; advanced by this epoch's.</param>
    /// <param name="nonFiniteGradient">Set when a step's gradient norm was NaN or infinite: the epoch stops there, before
    /// that gradient reaches the weights (gradients are all-reduced first, so every rank sees the same norm).</param>
    public EpochRecord Run(int epoch, int epochs, DataLoader loader, ulong seed, ref long globalStep, out bool nonFiniteGradient)
    {
        nonFiniteGradient = false;
        model.Train();
        // Ranks after the first add their rank, so that shards of one batch do not share dropout masks.
        ulong rankSalt = ProcessGroup.Rank == 0 ? 0 : (ulong)ProcessGroup.Rank * 0x9E37_79B9UL;
        Generator.Default.ManualSeed(seed * 1_000_003UL + (ulong)epoch + rankSalt);
        var clock = Stopwatch.StartNew();
        double lossSum = 0, gradNormSum = 0;
        long correct = 0, seen = 0, globalSeen = 0;
        int batches = loader.BatchesPerEpoch, steps = 0, batch = 0;
        Progress.EpochStarted(epoch, epochs, batches);
        optimizer.ZeroGrad();
        var named = model.NamedParameters().Where(p => p.Parameter.RequiresGrad).ToList();
        var parameters = named.Select(p => p.Parameter).ToList();
        var weights = parameters.Where(p => p.Rank > 1).ToList();
        var training = new TrainingStep(optimizer, parameters)
        {
            GradClip = options.GradClip, Schedule = StepSchedule, DataParallel = DataParallel,
            AdjustGradients = AdjustGradients == null ? null : () => AdjustGradients(named),
        };
        foreach (var (x, y) in loader.Epoch(epoch))
        {
            bool endsStep = (batch + 1) % options.AccumulationSteps == 0 || batch + 1 == batches;
            if (DataParallel != null) DataParallel.SyncGradients = endsStep;
            if (Parallelism.FailRank == ProcessGroup.Rank && globalStep + 1 == Parallelism.FailStep)
                throw new InvalidOperationException($"injected failure at step {globalStep + 1} (distributed.fail_rank)");
            int globalCount = loader.GlobalBatchSize(batch);
            // A rank's shard of a short last batch can be empty: it computes nothing but still joins the all-reduce.
            if (y.NumEl > 0)
            {
                using var scope = new TensorScope();
                var logits = model.Forward(x);
                var loss = Tensor.CrossEntropy(logits, y, labelSmoothing: options.LabelSmoothing);
                float lossValue = loss.Item();
                if (options.L1 > 0) loss = loss.Add(Penalties.L1(weights, options.L1));
                // Gradients are summed over ranks, so each rank's mean loss is weighted by its share of the global
                // batch: the sum is then the gradient of the global batch's mean, as in one process.
                if (ProcessGroup.Size > 1) loss = loss.Mul((float)y.NumEl / globalCount);
                // Each micro-batch carries its share of the step; the last group of an epoch may hold fewer batches.
                int groupStart = batch / options.AccumulationSteps * options.AccumulationSteps;
                int groupSize = Math.Min(options.AccumulationSteps, batches - groupStart);
                TrainingStep.Backward(groupSize > 1 ? loss.Div(groupSize) : loss);
                using (NoGrad.Enter()) correct += CountCorrect(logits, y);
                lossSum += lossValue * y.NumEl;
                seen += y.NumEl;
            }
            globalSeen += globalCount;
            x.Dispose();
            y.Dispose();
            batch++;
            if (endsStep)
            {
                float norm = training.Finish();
                if (!float.IsFinite(norm))
                {
                    nonFiniteGradient = true;
                    break;
                }
                gradNormSum += norm;
                steps++;
                globalStep++;
            }
            Progress.BatchFinished(batch, batches, lossSum / Math.Max(seen, 1), globalSeen / clock.Elapsed.TotalSeconds);
        }
        if (ProcessGroup.Size > 1)
        {
            Span<double> totals = [lossSum, correct, seen];
            ProcessGroup.AllReduceSum(totals);
            (lossSum, correct, seen) = (totals[0], (long)totals[1], (long)totals[2]);
        }
        return new EpochRecord
        {
            Epoch = epoch,
            Step = globalStep,
            TrainLoss = seen > 0 ? lossSum / seen : double.NaN,
            TrainAccuracy = seen > 0 ? (double)correct / seen : double.NaN,
            LearningRate = optimizer.ParamGroups[^1].LearningRate,
            GradNorm = gradNormSum / Math.Max(steps, 1),
            Seconds = clock.Elapsed.TotalSeconds,
            SamplesPerSecond = seen / clock.Elapsed.TotalSeconds,
        };
    }

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
