namespace Sapling.Inference;

/// <summary>
/// The best finished targets of one source in beam search (transformers' BeamHypotheses): each scored
/// sum(log p) / length^length_penalty, at most num_beams kept.
/// </summary>
internal sealed class BeamHypotheses(int beams, float lengthPenalty, bool earlyStopping)
{
    private readonly List<(double Score, int[] Tokens)> items = new();
    private double worst = 1e9;

    public int Count => items.Count;

    public void Add(int[] tokens, float sumLogProbs, int generatedLength)
    {
        double score = sumLogProbs / Math.Pow(generatedLength, lengthPenalty);
        if (items.Count >= beams && score <= worst) return;
        items.Add((score, tokens));
        if (items.Count > beams)
        {
            int weakest = 0;
            double second = double.PositiveInfinity;
            for (int i = 1; i < items.Count; i++)
                if (items[i].Score < items[weakest].Score) weakest = i;
            items.RemoveAt(weakest);
            foreach (var item in items) second = Math.Min(second, item.Score);
            worst = second;
        }
        else
        {
            worst = Math.Min(score, worst);
        }
    }

    /// <summary>Whether no live beam can still enter: num_beams finished and (early stopping, or the best live score
    /// <paramref name="bestSumLogProbs"/> at length <paramref name="generatedLength"/> cannot beat the worst kept).</summary>
    public bool IsDone(float bestSumLogProbs, int generatedLength)
    {
        if (items.Count < beams) return false;
        if (earlyStopping) return true;
        return worst >= bestSumLogProbs / Math.Pow(generatedLength, lengthPenalty);
    }

    /// <summary>The best-scoring finished target.</summary>
    public (double Score, int[] Tokens) Best()
    {
        var best = items[0];
        foreach (var item in items) if (item.Score > best.Score) best = item;
        return best;
    }
}
