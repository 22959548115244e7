using System.Numerics;

namespace Sapling.Training.Evaluation;

/// <summary>
/// Maps a label value to its position in the label list. With a class count, values outside [0, numClasses) are an
/// error (a wrong class count is a bug worth hearing about); with an explicit list, scikit-learn's rule applies and
/// values not in the list are simply not any listed class.
/// </summary>
internal sealed class LabelIndex
{
    public const int NotListed = -1;

    // Dense table for the usual small non-negative labels; a dictionary for anything else.
    private const long DenseLimit = 1 << 16;

    private readonly int[]? dense;
    private readonly Dictionary<long, int>? sparse;
    private readonly bool strict;

    public int[] Labels { get; }

    public int Count => Labels.Length;

    private LabelIndex(int[] labels, bool strict)
    {
        Labels = labels;
        this.strict = strict;
        long min = long.MaxValue, max = long.MinValue;
        foreach (var l in labels) { min = Math.Min(min, l); max = Math.Max(max, l); }
        if (labels.Length == 0 || (min >= 0 && max < DenseLimit))
        {
            dense = new int[labels.Length == 0 ? 0 : max + 1];
            Array.Fill(dense, NotListed);
            for (int i = 0; i < labels.Length; i++)
            {
                if (dense[labels[i]] != NotListed) throw new ArgumentException($"label {labels[i]} is listed twice", "labels");
                dense[labels[i]] = i;
            }
        }
        else
        {
            sparse = new Dictionary<long, int>(labels.Length);
            for (int i = 0; i < labels.Length; i++)
                if (!sparse.TryAdd(labels[i], i)) throw new ArgumentException($"label {labels[i]} is listed twice", "labels");
        }
    }

    public static LabelIndex ForClassCount(int numClasses)
    {
        if (numClasses < 1) throw new ArgumentOutOfRangeException(nameof(numClasses), numClasses, "the number of classes must be at least 1");
        var labels = new int[numClasses];
        for (int i = 0; i < numClasses; i++) labels[i] = i;
        return new LabelIndex(labels, strict: true);
    }

    public static LabelIndex ForLabels(ReadOnlySpan<int> labels)
    {
        if (labels.IsEmpty) throw new ArgumentException("the label list is empty", nameof(labels));
        return new LabelIndex(labels.ToArray(), strict: false);
    }

    /// <summary>Position of <paramref name="value"/> in the label list, or <see cref="NotListed"/>.</summary>
    public int IndexOf<T>(T value, string argument) where T : IBinaryInteger<T>
    {
        long v = long.CreateSaturating(value);
        int index = dense != null
            ? (v >= 0 && v < dense.Length ? dense[v] : NotListed)
            : sparse!.GetValueOrDefault(v, NotListed);
        if (index == NotListed && strict)
            throw new ArgumentOutOfRangeException(argument, $"{argument} holds the label {value}, outside [0, {Labels.Length}) for {Labels.Length} classes");
        return index;
    }
}
