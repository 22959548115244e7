namespace Sapling.Training.Evaluation;

// Tensor conveniences: labels come as int64 (or int32) tensors, predictions either as labels or as [N, C] scores.
public static partial class Metrics
{
    /// <summary>
    /// Accuracy of <paramref name="yPred"/> against <paramref name="yTrue"/> [N]. <paramref name="yPred"/> is either
    /// labels [N] or scores [N, C] (logits or probabilities), whose arg-max is the prediction.
    /// </summary>
    public static double Accuracy(Tensor yTrue, Tensor yPred) => Accuracy<long>(Labels(yTrue, nameof(yTrue)), Predictions(yPred, nameof(yPred)));

    /// <summary>Confusion matrix of labels [N] against labels [N] or scores [N, C].</summary>
    public static long[,] ConfusionMatrix(Tensor yTrue, Tensor yPred, int numClasses)
        => ConfusionMatrix<long>(Labels(yTrue, nameof(yTrue)), Predictions(yPred, nameof(yPred)), numClasses);

    /// <summary>Averaged precision, recall and F1 of labels [N] against labels [N] or scores [N, C].</summary>
    public static Scores PrecisionRecallF1(Tensor yTrue, Tensor yPred, int numClasses, Average average)
        => PrecisionRecallF1<long>(Labels(yTrue, nameof(yTrue)), Predictions(yPred, nameof(yPred)), numClasses, average);

    /// <summary>Top-k accuracy of scores [N, C] against labels [N].</summary>
    public static double TopKAccuracy(Tensor yTrue, Tensor scores, int k)
    {
        if (scores.Rank != 2 || scores.DType != DType.Float32)
            throw new ArgumentException($"scores must be a float32 [N, C] tensor, got {scores.DType.Name()} with {scores.Rank} dimensions", nameof(scores));
        return TopKAccuracy<long, float>(Labels(yTrue, nameof(yTrue)), scores.ToArray(), scores.Size(1), k);
    }

    internal static long[] Labels(Tensor t, string argument)
    {
        if (t.Rank != 1) throw new ArgumentException($"{argument} must be a 1-d tensor of labels, got {t.Rank} dimensions", argument);
        return t.DType switch
        {
            DType.Int64 => t.ToArray<long>(),
            DType.Int32 => Array.ConvertAll(t.ToArray<int>(), v => (long)v),
            _ => throw new ArgumentException($"{argument} must hold int64 or int32 labels, got {t.DType.Name()}; convert with .To(DType.Int64)", argument),
        };
    }

    internal static long[] Predictions(Tensor t, string argument)
    {
        if (t.Rank == 2 && t.DType.IsFloatingPoint())
        {
            using var argMax = t.ArgMax(1);
            return Labels(argMax, argument);
        }
        return Labels(t, argument);
    }
}
