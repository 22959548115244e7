using System.Numerics;

namespace Sapling.Training.Evaluation;

/// <summary>
/// Per-class true positives, predictions and true samples: everything precision, recall and F1 are made of.
/// Counted over all samples, as scikit-learn's multilabel confusion matrix does, so a prediction of a listed class for
/// a sample whose true label is not listed still counts as a false positive of that class.
/// </summary>
internal sealed class ClassCounts
{
    public required int[] Labels { get; init; }
    public required long[] TruePositives { get; init; }
    public required long[] Predicted { get; init; }
    public required long[] Actual { get; init; }

    /// <summary>scikit-learn prints "accuracy" instead of "micro avg" only when the labels are exactly those present.</summary>
    public required bool LabelsAreExactlyThosePresent { get; init; }

    public static ClassCounts Count<T>(ReadOnlySpan<T> yTrue, ReadOnlySpan<T> yPred, LabelIndex index) where T : IBinaryInteger<T>
    {
        Metrics.CheckSameLength(yTrue, yPred);
        int c = index.Count;
        var tp = new long[c];
        var predicted = new long[c];
        var actual = new long[c];
        bool unlisted = false;
        for (int n = 0; n < yTrue.Length; n++)
        {
            int t = index.IndexOf(yTrue[n], nameof(yTrue));
            int p = index.IndexOf(yPred[n], nameof(yPred));
            if (t >= 0) actual[t]++; else unlisted = true;
            if (p >= 0) predicted[p]++; else unlisted = true;
            if (t >= 0 && yTrue[n] == yPred[n]) tp[t]++;
        }
        bool allPresent = !unlisted;
        for (int i = 0; i < c && allPresent; i++) allPresent = actual[i] + predicted[i] > 0;
        return new ClassCounts { Labels = index.Labels, TruePositives = tp, Predicted = predicted, Actual = actual, LabelsAreExactlyThosePresent = allPresent };
    }

    public PerClassScores PerClass()
    {
        int c = Labels.Length;
        var precision = new double[c];
        var recall = new double[c];
        var f1 = new double[c];
        for (int i = 0; i < c; i++)
            (precision[i], recall[i], f1[i]) = FromCounts(TruePositives[i], Predicted[i], Actual[i]);
        return new PerClassScores((int[])Labels.Clone(), precision, recall, f1, (long[])Actual.Clone());
    }

    public Scores Averaged(Average average)
    {
        if (average == Average.Micro)
        {
            long tp = 0, predicted = 0, actual = 0;
            for (int i = 0; i < Labels.Length; i++) { tp += TruePositives[i]; predicted += Predicted[i]; actual += Actual[i]; }
            var (p, r, f) = FromCounts(tp, predicted, actual);
            return new Scores(p, r, f);
        }

        var perClass = PerClass();
        if (average == Average.Macro)
            return new Scores(Mean(perClass.Precision, null), Mean(perClass.Recall, null), Mean(perClass.F1, null));
        if (average == Average.Weighted)
            return new Scores(Mean(perClass.Precision, Actual), Mean(perClass.Recall, Actual), Mean(perClass.F1, Actual));
        throw new ArgumentOutOfRangeException(nameof(average), average, "unknown average");
    }

    /// <summary>scikit-learn's zero_division="warn": a ratio with a zero denominator is 0.</summary>
    private static (double Precision, double Recall, double F1) FromCounts(long tp, long predicted, long actual)
    {
        double precision = predicted == 0 ? 0.0 : (double)tp / predicted;
        double recall = actual == 0 ? 0.0 : (double)tp / actual;
        double f1 = precision + recall == 0 ? 0.0 : 2 * precision * recall / (precision + recall);
        return (precision, recall, f1);
    }

    private static double Mean(double[] values, long[]? weights)
    {
        double sum = 0, total = 0;
        for (int i = 0; i < values.Length; i++)
        {
            double w = weights == null ? 1.0 : weights[i];
            sum += w * values[i];
            total += w;
        }
        // All weights zero (no true sample of any listed class): scikit-learn returns 0 for "warn".
        return total == 0 ? 0.0 : sum / total;
    }
}
