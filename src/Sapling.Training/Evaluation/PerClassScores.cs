namespace Sapling.Training.Evaluation;

/// <summary>
/// Precision, recall, F1 and support of each class, in the order of <see cref="Labels"/>
/// (scikit-learn's <c>precision_recall_fscore_support(average=None)</c>).
/// </summary>
public sealed record PerClassScores(int[] Labels, double[] Precision, double[] Recall, double[] F1, long[] Support);
