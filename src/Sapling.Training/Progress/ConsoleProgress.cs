namespace Sapling.Training.Progress;

/// <summary>Plain lines, one per epoch: what logs and CI see.</summary>
public sealed class ConsoleProgress(TextWriter? writer = null) : IProgressReporter
{
    private readonly TextWriter output = writer ?? Console.Out;

    /// <inheritdoc/>
    public void EpochStarted(int epoch, int totalEpochs, int batches)
    {
    }

    /// <inheritdoc/>
    public void BatchFinished(int batch, int batches, double meanLoss, double samplesPerSecond)
    {
    }

    /// <inheritdoc/>
    public void EpochFinished(EpochRecord r, TimeSpan eta) => output.WriteLine(
        $"epoch {r.Epoch,3}  loss {r.TrainLoss:F4}  acc {r.TrainAccuracy:P2}  val loss {r.ValLoss:F4}  val acc {r.ValAccuracy:P2}  lr {r.LearningRate:G3}  |g| {r.GradNorm:G3}  {r.SamplesPerSecond:F0} samples/s  ETA {eta:mm\\:ss}");

    /// <inheritdoc/>
    public void Warning(string message) => output.WriteLine($"warning: {message}");

    /// <inheritdoc/>
    public void Message(string message) => output.WriteLine(message);
}
