namespace Sapling.Training.ActiveLearning;

/// <summary>The label budget of a simulation: a first random batch, then rounds of suggested batches; and its repeats.</summary>
public sealed record SimulationOptions
{
    public int Initial { get; init; } = 50;
    public int Batch { get; init; } = 50;
    public int Rounds { get; init; } = 10;
    public IReadOnlyList<ulong> Seeds { get; init; } = [0, 1, 2];
    public IReadOnlyList<AcquisitionStrategy> Strategies { get; init; } = [AcquisitionStrategy.Entropy, AcquisitionStrategy.Margin, AcquisitionStrategy.Random];
}
