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
