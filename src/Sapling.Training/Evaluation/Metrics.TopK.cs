using System.Numerics;

namespace Sapling.Training.Evaluation;

public static partial class Metrics
{
    /// <summary>
    /// Fraction of samples whose true class is among the k highest scores of its row (scikit-learn's
    /// top_k_accuracy_score with <c>labels=range(numClasses)</c>). <paramref name="scores"/> is a row-major
    /// [N, numClasses] matrix of logits or probabilities. Ties are broken as scikit-learn does (a stable ascending sort,
    /// reversed): among equal scores the class with the larger index ranks higher. With k >= numClasses every sample is
    /// a hit. For two classes scikit-learn only takes a 1-d score; here the same ranking rule applies (k=1 is the
    /// arg-max, ties going to class 1). NaN scores are rejected, as scikit-learn rejects them.
    /// </summary>
    public static double TopKAccuracy<T, TScore>(ReadOnlySpan<T> yTrue, ReadOnlySpan<TScore> scores, int numClasses, int k)
        where T : IBinaryInteger<T>
        where TScore : IFloatingPointIeee754<TScore>
    {
        if (k < 1) throw new ArgumentOutOfRangeException(nameof(k), k, "k must be at least 1");
        var index = LabelIndex.ForClassCount(numClasses);
        if (scores.Length != yTrue.Length * numClasses)
            throw new ArgumentException($"scores has {scores.Length} values, expected {yTrue.Length} samples x {numClasses} classes", nameof(scores));

        long hits = 0;
        for (int n = 0; n < yTrue.Length; n++)
        {
            int label = index.IndexOf(yTrue[n], nameof(yTrue));
            var row = scores.Slice(n * numClasses, numClasses);
            var own = row[label];
            int ahead = 0;
            for (int j = 0; j < numClasses; j++)
            {
                var s = row[j];
                if (TScore.IsNaN(s)) throw new ArgumentException($"scores row {n} holds NaN", nameof(scores));
                if (s > own || (s == own && j > label)) ahead++;
            }
            if (ahead < k) hits++;
        }
        return yTrue.Length == 0 ? double.NaN : (double)hits / yTrue.Length;
    }
}
