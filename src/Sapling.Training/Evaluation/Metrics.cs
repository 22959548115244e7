using System.Numerics;

namespace Sapling.Training.Evaluation;

/// <summary>
/// Classification metrics that give scikit-learn's numbers on the same inputs. Labels are any integer type
/// (int, long...). Methods taking <c>numClasses</c> use the labels 0..numClasses-1 and match scikit-learn called with
/// <c>labels=range(numClasses)</c>: a class absent from both y_true and y_pred still counts, with scores of 0, in macro
/// averages (scikit-learn's own default, <c>labels=None</c>, would only use the classes present). Methods taking
/// <c>labels</c> match scikit-learn's <c>labels=</c> exactly, including its order and ignoring unlisted values.
/// A ratio with a zero denominator is 0, as with scikit-learn's default <c>zero_division="warn"</c>.
/// </summary>
public static partial class Metrics
{
    /// <summary>Fraction of samples whose prediction equals the true label (NaN for no samples, like NumPy's mean).</summary>
    public static double Accuracy<T>(ReadOnlySpan<T> yTrue, ReadOnlySpan<T> yPred) where T : IBinaryInteger<T>
    {
        CheckSameLength(yTrue, yPred);
        long correct = 0;
        for (int i = 0; i < yTrue.Length; i++)
            if (yTrue[i] == yPred[i]) correct++;
        return yTrue.Length == 0 ? double.NaN : (double)correct / yTrue.Length;
    }

    /// <summary>Counts[i, j] = samples of true class i predicted as class j (scikit-learn's confusion_matrix).</summary>
    public static long[,] ConfusionMatrix<T>(ReadOnlySpan<T> yTrue, ReadOnlySpan<T> yPred, int numClasses) where T : IBinaryInteger<T>
        => ConfusionMatrix(yTrue, yPred, LabelIndex.ForClassCount(numClasses));

    /// <summary>
    /// Rows and columns follow <paramref name="labels"/>; samples whose true or predicted label is not listed are left out.
    /// </summary>
    public static long[,] ConfusionMatrix<T>(ReadOnlySpan<T> yTrue, ReadOnlySpan<T> yPred, ReadOnlySpan<int> labels) where T : IBinaryInteger<T>
        => ConfusionMatrix(yTrue, yPred, LabelIndex.ForLabels(labels));

    /// <summary>Precision, recall and F1 averaged over the classes 0..numClasses-1.</summary>
    public static Scores PrecisionRecallF1<T>(ReadOnlySpan<T> yTrue, ReadOnlySpan<T> yPred, int numClasses, Average average) where T : IBinaryInteger<T>
        => ClassCounts.Count(yTrue, yPred, LabelIndex.ForClassCount(numClasses)).Averaged(average);

    /// <summary>Precision, recall and F1 averaged over the listed classes.</summary>
    public static Scores PrecisionRecallF1<T>(ReadOnlySpan<T> yTrue, ReadOnlySpan<T> yPred, ReadOnlySpan<int> labels, Average average) where T : IBinaryInteger<T>
        => ClassCounts.Count(yTrue, yPred, LabelIndex.ForLabels(labels)).Averaged(average);

    /// <summary>Precision, recall, F1 and support of each class 0..numClasses-1.</summary>
    public static PerClassScores PrecisionRecallF1PerClass<T>(ReadOnlySpan<T> yTrue, ReadOnlySpan<T> yPred, int numClasses) where T : IBinaryInteger<T>
        => ClassCounts.Count(yTrue, yPred, LabelIndex.ForClassCount(numClasses)).PerClass();

    /// <summary>Precision, recall, F1 and support of each listed class, in the order listed.</summary>
    public static PerClassScores PrecisionRecallF1PerClass<T>(ReadOnlySpan<T> yTrue, ReadOnlySpan<T> yPred, ReadOnlySpan<int> labels) where T : IBinaryInteger<T>
        => ClassCounts.Count(yTrue, yPred, LabelIndex.ForLabels(labels)).PerClass();

    /// <summary>scikit-learn's precision_score with <c>labels=range(numClasses)</c>.</summary>
    public static double Precision<T>(ReadOnlySpan<T> yTrue, ReadOnlySpan<T> yPred, int numClasses, Average average) where T : IBinaryInteger<T>
        => PrecisionRecallF1(yTrue, yPred, numClasses, average).Precision;

    /// <summary>scikit-learn's recall_score with <c>labels=range(numClasses)</c>.</summary>
    public static double Recall<T>(ReadOnlySpan<T> yTrue, ReadOnlySpan<T> yPred, int numClasses, Average average) where T : IBinaryInteger<T>
        => PrecisionRecallF1(yTrue, yPred, numClasses, average).Recall;

    /// <summary>scikit-learn's f1_score with <c>labels=range(numClasses)</c>.</summary>
    public static double F1<T>(ReadOnlySpan<T> yTrue, ReadOnlySpan<T> yPred, int numClasses, Average average) where T : IBinaryInteger<T>
        => PrecisionRecallF1(yTrue, yPred, numClasses, average).F1;

    /// <summary>The sorted distinct labels of y_true and y_pred: the classes scikit-learn uses when given no labels.</summary>
    public static int[] UniqueLabels<T>(ReadOnlySpan<T> yTrue, ReadOnlySpan<T> yPred) where T : IBinaryInteger<T>
    {
        var seen = new HashSet<int>();
        foreach (var v in yTrue) seen.Add(int.CreateChecked(v));
        foreach (var v in yPred) seen.Add(int.CreateChecked(v));
        var labels = seen.ToArray();
        Array.Sort(labels);
        return labels;
    }

    private static long[,] ConfusionMatrix<T>(ReadOnlySpan<T> yTrue, ReadOnlySpan<T> yPred, LabelIndex index) where T : IBinaryInteger<T>
    {
        CheckSameLength(yTrue, yPred);
        var counts = new long[index.Count, index.Count];
        for (int n = 0; n < yTrue.Length; n++)
        {
            int t = index.IndexOf(yTrue[n], nameof(yTrue));
            int p = index.IndexOf(yPred[n], nameof(yPred));
            if (t >= 0 && p >= 0) counts[t, p]++;
        }
        return counts;
    }

    internal static void CheckSameLength<T>(ReadOnlySpan<T> yTrue, ReadOnlySpan<T> yPred)
    {
        if (yTrue.Length != yPred.Length)
            throw new ArgumentException($"yTrue has {yTrue.Length} labels but yPred has {yPred.Length}", nameof(yPred));
    }
}
