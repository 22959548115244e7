using Sapling.Training.Progress;

namespace Sapling.Training.Runs;

/// <summary>Where a run stands after a completed epoch: enough, with the model and optimiser, to continue exactly.</summary>
public sealed record TrainingState
{
    /// <summary>Epochs finished (stays 0 in a step-based run).</summary>
    public int CompletedEpochs { get; init; }
    /// <summary>Optimiser steps taken so far.</summary>
    public long GlobalStep { get; init; }
    /// <summary>The best value of the monitored metric so far; NaN before the first evaluation.</summary>
    public double BestMetric { get; init; } = double.NaN;
    /// <summary>
    /// Where the best value came from: the epoch for epoch-based runs, the global step for step-based ones.
    /// </summary>
    public int BestEpoch { get; init; }
    /// <summary>Periods in a row since the monitored metric last improved, for early stopping.</summary>
    public int EpochsWithoutImprovement { get; init; }
    /// <summary>Lines of metrics.jsonl written by then; a resumed run truncates the log to this many.</summary>
    public int MetricsLines { get; init; }
    /// <summary>
    /// The default random generator's state, so dropout and shuffling continue as if never interrupted.
    /// </summary>
    public ulong[] GeneratorState { get; init; } = [];
    /// <summary>The records of the periods so far, for the curves.</summary>
    public List<EpochRecord> History { get; init; } = new();
}
