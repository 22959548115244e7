namespace Sapling.Training.Progress;

/// <summary>Receives what a training run is doing, to show it (console lines, a live bar, a test recorder).</summary>
public interface IProgressReporter
{
    /// <summary>
    /// Before epoch <paramref name="epoch"/> of <paramref name="totalEpochs"/>, with its number of batches.
    /// </summary>
    void EpochStarted(int epoch, int totalEpochs, int batches);

    /// <summary>A run counted in optimiser steps rather than epochs; throughput is then in <paramref name="unit"/> per second.</summary>
    void StepsStarted(int steps, string unit) => EpochStarted(1, 1, steps);

    /// <summary>After each optimiser step: batch index within the epoch, running mean loss, throughput.</summary>
    void BatchFinished(int batch, int batches, double meanLoss, double samplesPerSecond);

    /// <summary>After each epoch: its numbers and the estimated time left in the run.</summary>
    void EpochFinished(EpochRecord record, TimeSpan eta);

    /// <summary>Something the user should look at (a diverging loss, overfitting), the run continuing.</summary>
    void Warning(string message);

    /// <summary>An informational line (what was loaded, resumed, saved).</summary>
    void Message(string message);
}
