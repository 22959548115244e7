namespace Sapling.Training.Review;

/// <summary>
/// Summarises exported ratings: the share the reviewer judged correct (unsure left out), the automatic metric's
/// accuracy on the same items, how often the two agree, and Cohen's κ (agreement beyond what chance would give).
/// </summary>
public static class ReviewSummary
{
    /// <summary>The figures over all ratings, and per stratum in ordinal order of the stratum names.</summary>
    public static (ReviewScore Overall, IReadOnlyList<ReviewScore> ByStratum) Compute(IReadOnlyList<Rating> ratings)
    {
        var byStratum = ratings.GroupBy(r => r.Stratum).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => Score(g.Key, g.ToList())).ToList();
        return (Score("all", ratings), byStratum);
    }

    /// <summary>
    /// The figures for <paramref name="ratings"/>, labelled <paramref name="stratum"/>; null where undefined.
    /// </summary>
    public static ReviewScore Score(string stratum, IReadOnlyList<Rating> ratings)
    {
        int correct = ratings.Count(r => r.Verdict == "correct"), wrong = ratings.Count(r => r.Verdict == "wrong"), unsure = ratings.Count(r => r.Verdict == "unsure");
        var decided = ratings.Where(r => r.Verdict is "correct" or "wrong").ToList();
        var paired = decided.Where(r => r.AutoCorrect != null).ToList();
        double? reviewer = decided.Count > 0 ? (double)correct / decided.Count : null;
        double? automatic = paired.Count > 0 ? paired.Count(r => r.AutoCorrect == true) / (double)paired.Count : null;
        double? agreement = paired.Count > 0 ? paired.Count(r => (r.Verdict == "correct") == r.AutoCorrect) / (double)paired.Count : null;
        var human = paired.Select(r => r.Verdict == "correct").ToArray();
        var auto = paired.Select(r => r.AutoCorrect == true).ToArray();
        double? MeanScore(string verdict) => ratings.Where(r => r.Verdict == verdict && r.AutoScore != null).Select(r => r.AutoScore!.Value).DefaultIfEmpty(double.NaN).Average() is var m && !double.IsNaN(m) ? m : null;
        return new ReviewScore(stratum, ratings.Count, correct + wrong + unsure, correct, wrong, unsure, reviewer, automatic, agreement,
            paired.Count > 0 && CohenKappa(human, auto) is var k && !double.IsNaN(k) ? k : null, MeanScore("correct"), MeanScore("wrong"));
    }

    /// <summary>κ = (p_o − p_e) / (1 − p_e) for two binary raters; NaN (undefined, as scikit-learn reports it) when both always give the same single answer.</summary>
    public static double CohenKappa(IReadOnlyList<bool> a, IReadOnlyList<bool> b)
    {
        if (a.Count != b.Count || a.Count == 0) throw new ArgumentException($"Cohen's kappa needs two equally long, non-empty rating lists (got {a.Count} and {b.Count})");
        int n = a.Count, agree = 0, aYes = 0, bYes = 0;
        for (int i = 0; i < n; i++)
        {
            if (a[i] == b[i]) agree++;
            if (a[i]) aYes++;
            if (b[i]) bYes++;
        }
        double po = (double)agree / n;
        double pe = (double)aYes / n * bYes / n + (double)(n - aYes) / n * (n - bYes) / n;
        return pe >= 1 ? double.NaN : (po - pe) / (1 - pe);
    }
}
