namespace Sapling.Training.Progress;

/// <summary>Reports nothing: the progress of data-parallel ranks other than 0, whose numbers rank 0 already shows.</summary>
public sealed class SilentProgress : IProgressReporter
{
    /// <summary>The one instance; it holds no state, so it can be shared.</summary>
    public static SilentProgress Instance { get; } = new();

    /// <inheritdoc/>
    public void EpochStarted(int epoch, int totalEpochs, int batches)
    {
    }

    /// <inheritdoc/>
    public void BatchFinished(int batch, int batches, double meanLoss, double samplesPerSecond)
    {
    }

    /// <inheritdoc/>
    public void EpochFinished(EpochRecord record, TimeSpan eta)
    {
    }

    /// <inheritdoc/>
    public void Warning(string message)
    {
    }

    /// <inheritdoc/>
    public void Message(string message)
    {
    }
}
