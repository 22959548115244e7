namespace Sapling.Training.Progress;

/// <summary>Receives what a training run is doing, to show it (console lines, a live bar, a test recorder).</summary>
public interface IProgressReporter
{
    void EpochStarted(int epoch, int totalEpochs, int batches);

    /// <summary>A run counted in optimiser steps rather than epochs; throughput is then in <paramref name="unit"/> per second.</summary>
    void StepsStarted(int steps, string unit) => EpochStarted(1, 1, steps);

    /// <summary>After each optimiser step: batch index within the epoch, running mean loss, throughput.</summary>
    void BatchFinished(int batch, int batches, double meanLoss, double samplesPerSecond);

    void EpochFinished(EpochRecord record, TimeSpan eta);

    void Warning(string message);

    void Message(string message);
}
