using Sapling.Training.Progress;

namespace Sapling.Training.Tests.LanguageModel;

/// <summary>A progress reporter that keeps the warnings, for tests about skipped rows and the like.</summary>
internal sealed class RecordingProgress(List<string> warnings) : IProgressReporter
{
    public void EpochStarted(int epoch, int totalEpochs, int batches) { }
    public void BatchFinished(int batch, int batches, double meanLoss, double samplesPerSecond) { }
    public void EpochFinished(EpochRecord record, TimeSpan eta) { }
    public void Warning(string message) => warnings.Add(message);
    public void Message(string message) { }
}
