namespace Sapling.Training.Progress;

/// <summary>One epoch's numbers, as logged to metrics.jsonl and drawn in the curves.</summary>
public sealed record EpochRecord
{
    /// <summary>The epoch's number (from 1 in a run; a federated client's local epochs count from 0).</summary>
    public int Epoch { get; init; }
    /// <summary>The run's global step at the end of the epoch (optimiser steps taken so far).</summary>
    public long Step { get; init; }
    /// <summary>Mean training loss per example over the epoch.</summary>
    public double TrainLoss { get; init; }
    /// <summary>Share of training examples the model got right during the epoch.</summary>
    public double TrainAccuracy { get; init; }
    /// <summary>Mean loss on the validation split; NaN without validation.</summary>
    public double ValLoss { get; init; } = double.NaN;
    /// <summary>Accuracy on the validation split; NaN without validation.</summary>
    public double ValAccuracy { get; init; } = double.NaN;
    /// <summary>Learning rate at the end of the epoch (of the last parameter group).</summary>
    public double LearningRate { get; init; }
    /// <summary>Mean global gradient norm (before clipping) over the epoch's optimiser steps.</summary>
    public double GradNorm { get; init; }
    /// <summary>Wall-clock seconds the epoch's training took.</summary>
    public double Seconds { get; init; }
    /// <summary>Training examples per second over the epoch.</summary>
    public double SamplesPerSecond { get; init; }

    /// <summary>The record as a metrics.jsonl line (kind "epoch", snake_case keys such as train_loss and lr).</summary>
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
