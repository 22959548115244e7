namespace Sapling.Training.Progress;

/// <summary>One epoch's numbers, as logged to metrics.jsonl and drawn in the curves.</summary>
public sealed record EpochRecord
{
    public int Epoch { get; init; }
    public long Step { get; init; }
    public double TrainLoss { get; init; }
    public double TrainAccuracy { get; init; }
    public double ValLoss { get; init; } = double.NaN;
    public double ValAccuracy { get; init; } = double.NaN;
    public double LearningRate { get; init; }
    public double GradNorm { get; init; }
    public double Seconds { get; init; }
    public double SamplesPerSecond { get; init; }

    public Dictionary<string, object?> ToLogRecord() => new()
    {
        ["kind"] = "epoch",
        ["epoch"] = Epoch,
        ["step"] = Step,
        ["train_loss"] = TrainLoss,
        ["train_accuracy"] = TrainAccuracy,
        ["val_loss"] = ValLoss,
        ["val_accuracy"] = ValAccuracy,
        ["lr"] = LearningRate,
        ["grad_norm"] = GradNorm,
        ["seconds"] = Seconds,
        ["samples_per_s"] = SamplesPerSecond,
    };
}
