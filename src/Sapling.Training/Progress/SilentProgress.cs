namespace Sapling.Training.Progress;

/// <summary>Reports nothing: the progress of data-parallel ranks other than 0, whose numbers rank 0 already shows.</summary>
public sealed class SilentProgress : IProgressReporter
{
    public static SilentProgress Instance { get; } = new();

    public void EpochStarted(int epoch, int totalEpochs, int batches)
    {
    }

    public void BatchFinished(int batch, int batches, double meanLoss, double samplesPerSecond)
    {
    }

    public void EpochFinished(EpochRecord record, TimeSpan eta)
    {
    }

    public void Warning(string message)
    {
    }

    public void Message(string message)
    {
    }
}
