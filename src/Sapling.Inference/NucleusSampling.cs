using System.Buffers;

namespace Sapling.Inference;

/// <summary>
/// Top-p (nucleus) sampling without sorting the vocabulary. The nucleus is the smallest set of most likely tokens
/// whose probabilities reach p. Tokens are binned by the leading bits of their weight's float representation (which
/// orders positive floats; 8 bins per power of two), the bins are summed from the top until they reach p, and only
/// the one bin where that happens is sorted (by falling logit, then id) to find the exact edge. The draw then walks
/// the nucleus in id order — the same distribution as walking it by rank, at the cost of a few passes over the
/// vocabulary instead of a sort.
/// </summary>
public static class NucleusSampling
{
    private const int BinShift = 20;
    private const int Bins = (0x7F800000 >> BinShift) + 1;

    /// <param name="weights">Unnormalised probabilities, all finite and ≥ 0, summing to <paramref name="total"/>.</param>
    public static int Draw(ReadOnlySpan<float> logits, ReadOnlySpan<float> weights, double total, double topP, Generator g)
    {
        int n = weights.Length;
        var binSums = ArrayPool<double>.Shared.Rent(Bins);
        var inNucleus = ArrayPool<bool>.Shared.Rent(n);
        try
        {
            Array.Clear(binSums, 0, Bins);
            for (int i = 0; i < n; i++) binSums[Bin(weights[i])] += weights[i];
            double needed = topP * total, above = 0;
            int edge = Bins - 1;
            while (edge > 0 && above + binSums[edge] < needed) above += binSums[edge--];
            // The edge bin, most likely first; its head completes the nucleus.
            var edgeTokens = MostLikelyFirst(logits, weights, edge);
            Array.Clear(inNucleus, 0, n);
            double sum = above;
            foreach (int i in edgeTokens)
            {
                inNucleus[i] = true;
                sum += weights[i];
                if (sum >= needed) break;
            }
            double u = g.NextDouble() * sum;
            int last = -1;
            for (int i = 0; i < n; i++)
            {
                if (Bin(weights[i]) <= edge && !inNucleus[i]) continue;
                last = i;
                u -= weights[i];
                if (u <= 0) return i;
            }
            return last;
        }
        finally
        {
            ArrayPool<double>.Shared.Return(binSums);
            ArrayPool<bool>.Shared.Return(inNucleus);
        }
    }

    /// <summary>The tokens of one bin by falling logit, equal logits in id order (so a seed gives the same token everywhere).</summary>
    private static int[] MostLikelyFirst(ReadOnlySpan<float> logits, ReadOnlySpan<float> weights, int bin)
    {
        int count = 0;
        for (int i = 0; i < weights.Length; i++) if (Bin(weights[i]) == bin) count++;
        var ids = new int[count];
        var keys = new float[count];
        for (int i = 0, k = 0; i < weights.Length; i++)
            if (Bin(weights[i]) == bin) (ids[k], keys[k++]) = (i, -logits[i]);
        Array.Sort(keys, ids);
        for (int start = 0, end; start < count; start = end)
        {
            for (end = start + 1; end < count && keys[end] == keys[start]; end++) { }
            if (end - start > 1) Array.Sort(ids, start, end - start);
        }
        return ids;
    }

    private static int Bin(float weight) => BitConverter.SingleToInt32Bits(weight) >> BinShift;
}
