namespace Sapling.Training.Evaluation;

/// <summary>How per-class precision, recall and F1 are combined into one number (scikit-learn's <c>average=</c>).</summary>
public enum Average
{
    /// <summary>Unweighted mean over the classes: every class counts the same, however rare.</summary>
    Macro,

    /// <summary>Computed from true positives, false positives and false negatives summed over the classes.</summary>
    Micro,

    /// <summary>Mean over the classes weighted by their support (number of true samples).</summary>
    Weighted,
}
