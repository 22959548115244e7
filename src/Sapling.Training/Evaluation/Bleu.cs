namespace Sapling.Training.Evaluation;

/// <summary>
/// BLEU (Papineni et al. 2002) computed as NLTK's <c>nltk.translate.bleu_score.corpus_bleu</c> does: modified
/// n-gram precisions summed over the corpus (micro-averaged, not a mean of sentence scores), the brevity penalty
/// exp(1 - r/c) from the summed closest reference lengths (ties go to the shorter reference), and a weighted
/// geometric mean of the (smoothed) precisions. Arguments come in NLTK's order: references first.
/// </summary>
public static class Bleu
{
    /// <summary>NLTK's stand-in for a zero precision under method0: Python's sys.float_info.min.</summary>
    private const double SmallestNormal = 2.2250738585072014E-308;

    /// <param name="references">For each hypothesis, one or more tokenised references.</param>
    /// <param name="hypotheses">Tokenised hypotheses.</param>
    public static BleuScore Corpus(IReadOnlyList<IReadOnlyList<IReadOnlyList<string>>> references, IReadOnlyList<IReadOnlyList<string>> hypotheses, BleuOptions? options = null)
    {
        options ??= new BleuOptions();
        if (references.Count != hypotheses.Count)
            throw new ArgumentException($"{hypotheses.Count} hypotheses but {references.Count} reference sets", nameof(references));
        int orders = options.Weights.Count;
        if (orders == 0) throw new ArgumentException("BLEU needs at least one n-gram weight", nameof(options));
        var matches = new long[orders];
        var totals = new long[orders];
        long hypothesisLength = 0, referenceLength = 0;
        for (int s = 0; s < hypotheses.Count; s++)
        {
            var hypothesis = hypotheses[s];
            var refs = references[s];
            if (refs.Count == 0) throw new ArgumentException($"hypothesis {s} has no reference", nameof(references));
            for (int n = 1; n <= orders; n++)
            {
                var counts = NGramCounts.Count(hypothesis, n);
                var maxReference = new Dictionary<NGram, int>();
                foreach (var reference in refs)
                {
                    var referenceCounts = NGramCounts.Count(reference, n);
                    foreach (var gram in counts.Keys)
                        maxReference[gram] = Math.Max(maxReference.GetValueOrDefault(gram), referenceCounts.GetValueOrDefault(gram));
                }
                matches[n - 1] += NGramCounts.Overlap(counts, maxReference);
                // NLTK's floor of one keeps a sentence shorter than n from dividing by zero, and it shifts the corpus total.
                totals[n - 1] += Math.Max(1, NGramCounts.Total(counts));
            }
            hypothesisLength += hypothesis.Count;
            referenceLength += ClosestReferenceLength(refs, hypothesis.Count);
        }
        double penalty = BrevityPenalty(referenceLength, hypothesisLength);
        // With no unigram match there is no higher-order match either; NLTK returns 0 before smoothing.
        if (matches[0] == 0) return new BleuScore(0, penalty, hypothesisLength, referenceLength, matches, totals);
        var precisions = Smooth(matches, totals, hypothesisLength, options);
        double logSum = 0;
        for (int i = 0; i < orders; i++)
            if (precisions[i] > 0) logSum += options.Weights[i] * Math.Log(precisions[i]);
        return new BleuScore(penalty * Math.Exp(logSum), penalty, hypothesisLength, referenceLength, matches, totals);
    }

    /// <summary>BLEU of one hypothesis: NLTK's sentence_bleu, which is corpus BLEU of a one-line corpus.</summary>
    public static BleuScore Sentence(IReadOnlyList<IReadOnlyList<string>> references, IReadOnlyList<string> hypothesis, BleuOptions? options = null)
        => Corpus([references], [hypothesis], options);

    /// <summary>Corpus BLEU of untokenised lines, split with <paramref name="tokenize"/>.</summary>
    public static BleuScore Corpus(IReadOnlyList<IReadOnlyList<string>> referenceLines, IReadOnlyList<string> hypothesisLines, TokenizeMode tokenize, BleuOptions? options = null)
        => Corpus(
            referenceLines.Select(refs => (IReadOnlyList<IReadOnlyList<string>>)refs.Select(r => GenerationTokenizer.Tokenize(r, tokenize)).ToArray()).ToArray(),
            hypothesisLines.Select(h => (IReadOnlyList<string>)GenerationTokenizer.Tokenize(h, tokenize)).ToArray(),
            options);

    /// <summary>The reference length nearest the hypothesis length; on a tie the shorter one (NLTK, mteval).</summary>
    public static int ClosestReferenceLength(IReadOnlyList<IReadOnlyList<string>> references, int hypothesisLength)
    {
        int best = references[0].Count;
        foreach (var reference in references)
        {
            int length = reference.Count;
            int distance = Math.Abs(length - hypothesisLength), bestDistance = Math.Abs(best - hypothesisLength);
            if (distance < bestDistance || (distance == bestDistance && length < best)) best = length;
        }
        return best;
    }

    /// <summary>1 when the hypotheses are longer than the references, else exp(1 - r/c); 0 for an empty hypothesis.</summary>
    public static double BrevityPenalty(long referenceLength, long hypothesisLength)
    {
        if (hypothesisLength > referenceLength) return 1;
        if (hypothesisLength == 0) return 0;
        return Math.Exp(1 - (double)referenceLength / hypothesisLength);
    }

    private static double[] Smooth(long[] matches, long[] totals, long hypothesisLength, BleuOptions options)
    {
        var p = new double[matches.Length];
        int missing = 1;
        for (int i = 0; i < p.Length; i++)
        {
            long m = matches[i], t = totals[i];
            p[i] = options.Smoothing switch
            {
                BleuSmoothing.None => m == 0 ? SmallestNormal : (double)m / t,
                BleuSmoothing.Epsilon => m == 0 ? options.Epsilon / t : (double)m / t,
                BleuSmoothing.AddOne => i == 0 ? (double)m / t : (double)(m + 1) / (t + 1),
                BleuSmoothing.Nist => m == 0 ? 1 / (Math.Pow(2, missing++) * t) : (double)m / t,
                // NLTK leaves a zero precision alone when the hypotheses total one token (ln 1 = 0).
                BleuSmoothing.ChenCherry4 => m == 0 && hypothesisLength > 1
                    ? 1 / (Math.Pow(2, missing++) * options.K / Math.Log(hypothesisLength)) / t
                    : (double)m / t,
                _ => throw new ArgumentOutOfRangeException(nameof(options), options.Smoothing, "unknown BLEU smoothing"),
            };
        }
        return p;
    }
}
