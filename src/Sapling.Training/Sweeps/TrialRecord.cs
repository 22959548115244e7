namespace Sapling.Training.Sweeps;

/// <summary>A finished trial: "complete" (trained all its epochs or stopped early by patience) or "pruned" (stopped by ASHA).</summary>
public sealed record TrialRecord(int Trial, string Status, Setting[] Settings, double Value, int BestEpoch, int Epochs, double Seconds, string RunDirectory)
{
    /// <summary>The status of a trial that trained all its epochs or was stopped early by patience.</summary>
    public const string Complete = "complete";
    /// <summary>The status of a trial that successive halving stopped at a rung.</summary>
    public const string Pruned = "pruned";
}
