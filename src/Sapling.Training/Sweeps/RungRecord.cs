namespace Sapling.Training.Sweeps;

/// <summary>A trial's metric at an ASHA rung.</summary>
public sealed record RungRecord(int Trial, int Epoch, double Value);
