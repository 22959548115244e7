namespace Sapling.Training.ActiveLearning;

/// <summary>
/// Scores and ranks unlabelled items from a model's class probabilities (rows of a [items, classes] table) so the
/// items a label would teach the most come first. Ties keep the pool's order, so a ranking is reproducible.
/// </summary>
public static class UncertaintySampling
{
    /// <summary>
    /// One score per item: entropy in nats (higher = more uncertain), top-1 minus top-2 probability (lower = more
    /// uncertain), or for random a seeded uniform number in [0, 1).
    /// </summary>
    public static double[] Scores(ReadOnlySpan<float> probabilities, int classes, AcquisitionStrategy strategy, ulong seed = 0)
    {
        if (classes < 2) throw new ArgumentException($"ranking by uncertainty needs at least 2 classes, got {classes}");
        if (probabilities.Length % classes != 0) throw new ArgumentException($"{probabilities.Length} probabilities do not form rows of {classes} classes");
        int items = probabilities.Length / classes;
        var scores = new double[items];
        var random = new Generator(seed);
        for (int i = 0; i < items; i++)
        {
            var row = probabilities.Slice(i * classes, classes);
            scores[i] = strategy switch
            {
                AcquisitionStrategy.Entropy => Entropy(row),
                AcquisitionStrategy.Margin => Margin(row),
                _ => random.NextDouble(),
            };
        }
        return scores;
    }

    /// <summary>Item positions, most worth labelling first.</summary>
    public static int[] Rank(IReadOnlyList<double> scores, AcquisitionStrategy strategy)
    {
        var order = Enumerable.Range(0, scores.Count);
        // Margin: the smaller the gap, the more uncertain; entropy and random: the larger the score.
        return (strategy == AcquisitionStrategy.Margin ? order.OrderBy(i => scores[i]) : order.OrderByDescending(i => scores[i])).ToArray();
    }

    /// <summary>The <paramref name="count"/> items to label next (all of them when there are fewer).</summary>
    public static int[] Select(ReadOnlySpan<float> probabilities, int classes, int count, AcquisitionStrategy strategy, ulong seed = 0)
    {
        if (count < 1) throw new ArgumentException($"the number of items to suggest must be at least 1, got {count}");
        return Rank(Scores(probabilities, classes, strategy, seed), strategy).Take(count).ToArray();
    }

    private static double Entropy(ReadOnlySpan<float> p)
    {
        double h = 0;
        foreach (float v in p)
            if (v > 0) h -= v * Math.Log(v);
        return h;
    }

    private static double Margin(ReadOnlySpan<float> p)
    {
        float first = float.NegativeInfinity, second = float.NegativeInfinity;
        foreach (float v in p)
        {
            if (v > first) (first, second) = (v, first);
            else if (v > second) second = v;
        }
        return first - second;
    }
}
