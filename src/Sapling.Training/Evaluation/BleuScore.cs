namespace Sapling.Training.Evaluation;

/// <summary>
/// A BLEU score in [0, 1] with the counts it came from: <see cref="Matches"/>[i] and <see cref="Totals"/>[i] are the
/// clipped matches and hypothesis n-grams of order i+1 summed over the corpus (each sentence adds at least one to
/// the total, as in NLTK), before smoothing.
/// </summary>
public sealed record BleuScore(double Score, double BrevityPenalty, long HypothesisLength, long ReferenceLength, long[] Matches, long[] Totals)
{
    /// <summary>Unsmoothed modified precision of each order.</summary>
    public double[] Precisions => Matches.Select((m, i) => (double)m / Totals[i]).ToArray();

    /// <summary>Hypothesis length over the closest reference length, as sacreBLEU prints it.</summary>
    public double LengthRatio => ReferenceLength == 0 ? 0 : (double)HypothesisLength / ReferenceLength;
}
