namespace Sapling.Training.ActiveLearning;

/// <summary>How unlabelled items are ranked for labelling.</summary>
public enum AcquisitionStrategy
{
    /// <summary>Highest predictive entropy −Σ p log p first: the model spreads its belief over many classes.</summary>
    Entropy,

    /// <summary>Smallest gap between the two most likely classes first: the model hesitates between two.</summary>
    Margin,

    /// <summary>A seeded random order: the baseline the other two must beat.</summary>
    Random,
}

public static class AcquisitionStrategies
{
    public static AcquisitionStrategy Parse(string name) => name switch
    {
        "entropy" => AcquisitionStrategy.Entropy,
        "margin" => AcquisitionStrategy.Margin,
        "random" => AcquisitionStrategy.Random,
        _ => throw new ArgumentException($"--strategy must be entropy, margin or random, got '{name}'"),
    };

    public static string Name(this AcquisitionStrategy strategy) => strategy.ToString().ToLowerInvariant();
}
