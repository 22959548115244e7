namespace Sapling.Training.Sweeps;

/// <summary>A finished trial: "complete" (trained all its epochs or stopped early by patience) or "pruned" (stopped by ASHA).</summary>
public sealed record TrialRecord(int Trial, string Status, Setting[] Settings, double Value, int BestEpoch, int Epochs, double Seconds, string RunDirectory)
{
    public const string Complete = "complete";
    public const string Pruned = "pruned";
}
