namespace Sapling.Training.Evaluation;

/// <summary>
/// chrF (Popović 2015), the character n-gram F-score, defined as NLTK's <c>nltk.translate.chrf_score.corpus_chrf</c>
/// defines it: white space is removed, then for each line and each order n in [MinOrder, MaxOrder] an F-beta score
/// of character n-gram precision and recall is taken, and the corpus score is the mean over lines and orders (a
/// macro average). An order with no n-grams on one side, or no match, scores 1e-16 as in NLTK.
/// This is not sacreBLEU's chrF, which sums n-gram statistics over the whole corpus and averages precision and
/// recall over orders before forming F; the two agree on a one-line corpus only up to that averaging.
/// NLTK takes one reference; with several, a line keeps its best-scoring reference (sacreBLEU's rule).
/// </summary>
public static class ChrF
{
    private const double Fallback = 1e-16;

    /// <summary>
    /// The corpus chrF, in [0, 1], of <paramref name="hypotheses"/> against their reference lists (one list per
    /// hypothesis).
    /// </summary>
    public static double Corpus(IReadOnlyList<IReadOnlyList<string>> references, IReadOnlyList<string> hypotheses, ChrFOptions? options = null)
    {
        options ??= new ChrFOptions();
        if (references.Count != hypotheses.Count)
            throw new ArgumentException($"{hypotheses.Count} hypotheses but {references.Count} reference sets", nameof(references));
        if (hypotheses.Count == 0) throw new ArgumentException("chrF of an empty corpus is undefined", nameof(hypotheses));
        int orders = options.MaxOrder - options.MinOrder + 1;
        // Summed order by order, then over orders, as NLTK adds them, so the rounding matches too.
        var totals = new double[orders];
        for (int s = 0; s < hypotheses.Count; s++)
        {
            if (references[s].Count == 0) throw new ArgumentException($"hypothesis {s} has no reference", nameof(references));
            double[]? best = null;
            foreach (var reference in references[s])
            {
                var scores = OrderScores(reference, hypotheses[s], options);
                if (best == null || scores.Sum() > best.Sum()) best = scores;
            }
            for (int i = 0; i < orders; i++) totals[i] += best![i];
        }
        return totals.Sum() / orders / hypotheses.Count;
    }

    /// <summary>chrF of one line against one reference (NLTK's sentence_chrf).</summary>
    public static double Sentence(string reference, string hypothesis, ChrFOptions? options = null)
        => Corpus([[reference]], [hypothesis], options);

    private static double[] OrderScores(string reference, string hypothesis, ChrFOptions options)
    {
        var r = Characters(reference, options.IgnoreWhitespace);
        var h = Characters(hypothesis, options.IgnoreWhitespace);
        double factor = options.Beta * options.Beta;
        var scores = new double[options.MaxOrder - options.MinOrder + 1];
        for (int n = options.MinOrder; n <= options.MaxOrder; n++)
        {
            var referenceCounts = NGramCounts.Count(r, n);
            var hypothesisCounts = NGramCounts.Count(h, n);
            long matches = NGramCounts.Overlap(hypothesisCounts, referenceCounts);
            long hypothesisTotal = NGramCounts.Total(hypothesisCounts), referenceTotal = NGramCounts.Total(referenceCounts);
            double score = Fallback;
            if (hypothesisTotal > 0 && referenceTotal > 0)
            {
                double precision = (double)matches / hypothesisTotal, recall = (double)matches / referenceTotal;
                double denominator = factor * precision + recall;
                if (denominator != 0) score = (1 + factor) * (precision * recall) / denominator;
            }
            scores[n - options.MinOrder] = score;
        }
        return scores;
    }

    /// <summary>Code points, as Python iterates a str, so a character outside the BMP is one character.</summary>
    private static string[] Characters(string text, bool ignoreWhitespace)
    {
        var characters = new List<string>();
        foreach (var rune in text.EnumerateRunes())
            if (!ignoreWhitespace || !GenerationTokenizer.IsSpace(rune)) characters.Add(rune.ToString());
        return characters.ToArray();
    }
}
