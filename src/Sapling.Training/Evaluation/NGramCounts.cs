namespace Sapling.Training.Evaluation;

/// <summary>An n-gram as a window into a token array, compared by its tokens, so counting allocates no strings.</summary>
internal readonly struct NGram(IReadOnlyList<string> tokens, int start, int length) : IEquatable<NGram>
{
    public bool Equals(NGram other)
    {
        if (length != other.Length) return false;
        for (int i = 0; i < length; i++)
            if (!string.Equals(tokens[start + i], other.Token(i), StringComparison.Ordinal)) return false;
        return true;
    }

    public int Length => length;

    public string Token(int i) => tokens[start + i];

    public override bool Equals(object? obj) => obj is NGram other && Equals(other);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        for (int i = 0; i < length; i++) hash.Add(tokens[start + i], StringComparer.Ordinal);
        return hash.ToHashCode();
    }
}

internal static class NGramCounts
{
    /// <summary>How often each n-gram of order <paramref name="n"/> occurs (empty when the sequence is shorter than n).</summary>
    public static Dictionary<NGram, int> Count(IReadOnlyList<string> tokens, int n)
    {
        var counts = new Dictionary<NGram, int>();
        for (int i = 0; i + n <= tokens.Count; i++)
        {
            var gram = new NGram(tokens, i, n);
            counts[gram] = counts.GetValueOrDefault(gram) + 1;
        }
        return counts;
    }

    /// <summary>Matches of <paramref name="hypothesis"/> n-grams, each clipped by its count in <paramref name="reference"/>.</summary>
    public static long Overlap(Dictionary<NGram, int> hypothesis, Dictionary<NGram, int> reference)
    {
        long overlap = 0;
        foreach (var (gram, count) in hypothesis)
            overlap += Math.Min(count, reference.GetValueOrDefault(gram));
        return overlap;
    }

    public static long Total(Dictionary<NGram, int> counts)
    {
        long total = 0;
        foreach (var count in counts.Values) total += count;
        return total;
    }
}
