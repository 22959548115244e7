namespace Sapling.Training.Evaluation;

/// <summary>
/// ROUGE-L (Lin 2004, section 3.1): with L the longest common subsequence of hypothesis and reference tokens,
/// P = L/|hypothesis|, R = L/|reference| and F = (1+β²)PR/(R+β²P), 0 when L = 0. β defaults to 1, the F1 that
/// Google's rouge-score reports (the paper sets β large, which reduces F to recall). With several references a
/// line keeps the one with the best F, and the corpus score is the mean over lines. Tokens are compared exactly:
/// unlike rouge-score there is no lower-casing or stemming, so tokenise (or normalise) first.
/// </summary>
public static class RougeL
{
    /// <summary>
    /// Mean precision, recall and F over lines, each line scored against its best reference; needs one reference list
    /// per hypothesis and at least one hypothesis.
    /// </summary>
    public static RougeScore Corpus(IReadOnlyList<IReadOnlyList<IReadOnlyList<string>>> references, IReadOnlyList<IReadOnlyList<string>> hypotheses, double beta = 1)
    {
        if (references.Count != hypotheses.Count)
            throw new ArgumentException($"{hypotheses.Count} hypotheses but {references.Count} reference sets", nameof(references));
        if (hypotheses.Count == 0) throw new ArgumentException("ROUGE-L of an empty corpus is undefined", nameof(hypotheses));
        double p = 0, r = 0, f = 0;
        for (int s = 0; s < hypotheses.Count; s++)
        {
            var score = Sentence(references[s], hypotheses[s], beta);
            p += score.Precision;
            r += score.Recall;
            f += score.F;
        }
        return new RougeScore(p / hypotheses.Count, r / hypotheses.Count, f / hypotheses.Count);
    }

    /// <summary>ROUGE-L of one hypothesis: the score against its best reference by F (needs at least one).</summary>
    public static RougeScore Sentence(IReadOnlyList<IReadOnlyList<string>> references, IReadOnlyList<string> hypothesis, double beta = 1)
    {
        if (references.Count == 0) throw new ArgumentException("a hypothesis needs at least one reference", nameof(references));
        RougeScore? best = null;
        foreach (var reference in references)
        {
            var score = Score(reference, hypothesis, beta);
            if (best == null || score.F > best.F) best = score;
        }
        return best!;
    }

    /// <summary>ROUGE-L of one hypothesis against one reference.</summary>
    public static RougeScore Score(IReadOnlyList<string> reference, IReadOnlyList<string> hypothesis, double beta = 1)
    {
        int lcs = LongestCommonSubsequence(reference, hypothesis);
        if (lcs == 0) return new RougeScore(0, 0, 0);
        double precision = (double)lcs / hypothesis.Count, recall = (double)lcs / reference.Count;
        double b2 = beta * beta;
        return new RougeScore(precision, recall, (1 + b2) * precision * recall / (recall + b2 * precision));
    }

    /// <summary>Length of the longest common subsequence, by the textbook dynamic programme kept to two rows.</summary>
    public static int LongestCommonSubsequence(IReadOnlyList<string> a, IReadOnlyList<string> b)
    {
        var previous = new int[b.Count + 1];
        var current = new int[b.Count + 1];
        for (int i = 1; i <= a.Count; i++)
        {
            for (int j = 1; j <= b.Count; j++)
                current[j] = string.Equals(a[i - 1], b[j - 1], StringComparison.Ordinal)
                    ? previous[j - 1] + 1
                    : Math.Max(previous[j], current[j - 1]);
            (previous, current) = (current, previous);
        }
        return previous[b.Count];
    }
}
