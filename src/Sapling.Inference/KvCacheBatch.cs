using Sapling.NN;

namespace Sapling.Inference;

/// <summary>
/// Independent sequences decoded together, each with its own <see cref="KvCache"/> of its own length (continuous
/// batching, as a server does it). The model runs its one forward pass over all rows, so every weight is read once per
/// step; only attention, which reads each row's own past, runs row by row here.
/// </summary>
public sealed class KvCacheBatch(IReadOnlyList<KvCache> rows) : IKvCache
{
    /// <summary>Each sequence's own cache, in batch-row order; at least one.</summary>
    public IReadOnlyList<KvCache> Rows { get; } = rows.Count > 0 ? rows : throw new ArgumentException("a cache batch needs at least one sequence");

    /// <inheritdoc/>
    public int Length
    {
        get
        {
            int longest = 0;
            foreach (var row in Rows) longest = Math.Max(longest, row.Length);
            return longest;
        }
    }

    /// <inheritdoc/>
    public int MaxLength
    {
        get
        {
            int shortest = int.MaxValue;
            foreach (var row in Rows) shortest = Math.Min(shortest, row.MaxLength - row.Length);
            return Length + shortest;
        }
    }

    /// <inheritdoc/>
    public long[] Positions(int batch, int t, int[]? leftPadding)
    {
        if (batch != Rows.Count) throw new ArgumentException($"cache batch: {batch} rows of tokens for {Rows.Count} sequences");
        if (leftPadding != null) throw new ArgumentException("cache batch: sequences decoded together are not padded; prefill each on its own");
        var positions = new long[batch * t];
        for (int r = 0; r < batch; r++)
        {
            if (Rows[r].Length + t > Rows[r].MaxLength)
                throw new ArgumentException($"cache batch: sequence {r} holds {Rows[r].Length} of {Rows[r].MaxLength} positions and cannot take {t} more");
            if (Rows[r].Padding != null) throw new ArgumentException($"cache batch: sequence {r} was prefilled as part of a padded batch; prefill each sequence on its own");
            for (int i = 0; i < t; i++) positions[r * t + i] = Rows[r].Length + i;
        }
        return positions;
    }

    /// <inheritdoc/>
    public Tensor Attend(int layer, Tensor q, Tensor k, Tensor v, int window = 0)
    {
        if (Rows.Count == 1) return Rows[0].Attend(layer, q, k, v, window);
        var outputs = new Tensor[Rows.Count];
        for (int r = 0; r < Rows.Count; r++)
            outputs[r] = Rows[r].Attend(layer, q.Narrow(0, r, 1), k.Narrow(0, r, 1), v.Narrow(0, r, 1), window);
        return Tensor.Cat(outputs, dim: 0);
    }
}
