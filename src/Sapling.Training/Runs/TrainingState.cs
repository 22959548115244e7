using Sapling.Training.Progress;

namespace Sapling.Training.Runs;

/// <summary>Where a run stands after a completed epoch: enough, with the model and optimiser, to continue exactly.</summary>
public sealed record TrainingState
{
    public int CompletedEpochs { get; init; }
    public long GlobalStep { get; init; }
    public double BestMetric { get; init; } = double.NaN;
    public int BestEpoch { get; init; }
    public int EpochsWithoutImprovement { get; init; }
    public int MetricsLines { get; init; }
    public ulong[] GeneratorState { get; init; } = [];
    public List<EpochRecord> History { get; init; } = new();
}
