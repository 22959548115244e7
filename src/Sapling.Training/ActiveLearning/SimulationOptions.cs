namespace Sapling.Training.ActiveLearning;

/// <summary>The label budget of a simulation: a first random batch, then rounds of suggested batches; and its repeats.</summary>
public sealed record SimulationOptions
{
    /// <summary>Random labelled examples to start from (<c>--initial</c>; default 50).</summary>
    public int Initial { get; init; } = 50;
    /// <summary>Labels added per round (<c>--batch</c>; default 50).</summary>
    public int Batch { get; init; } = 50;
    /// <summary>Rounds of suggest, label and retrain after the first training (<c>--rounds</c>; default 10).</summary>
    public int Rounds { get; init; } = 10;
    /// <summary>
    /// One simulation per seed, each with its own random starting set (<c>--seeds</c>; default 0, 1, 2); curves take
    /// the median over them.
    /// </summary>
    public IReadOnlyList<ulong> Seeds { get; init; } = [0, 1, 2];
    /// <summary>The strategies compared (<c>--strategies</c>; default entropy, margin and random).</summary>
    public IReadOnlyList<AcquisitionStrategy> Strategies { get; init; } = [AcquisitionStrategy.Entropy, AcquisitionStrategy.Margin, AcquisitionStrategy.Random];
}
