namespace Sapling.NN;

/// <summary>
/// What an encoder-decoder's generation keeps between steps: the decoder's self-attention keys and values (a
/// <see cref="KvCache"/> that grows one position per step) and, per layer, the cross-attention keys and values of the
/// encoder's states, projected once on the first step and read by every later one.
/// </summary>
public sealed class EncoderDecoderCache : IDisposable
{
    private readonly Tensor?[] crossKeys;
    private readonly Tensor?[] crossValues;

    /// <summary>
    /// Creates the cache: a <see cref="KvCache"/> for the decoder's self-attention ([batch, heads, maxLength, headDim]
    /// per layer) and empty cross-attention slots for <paramref name="layers"/> layers.
    /// </summary>
    public EncoderDecoderCache(int layers, int batch, int heads, int maxLength, int headDim)
    {
        Self = new KvCache(layers, batch, heads, maxLength, headDim);
        crossKeys = new Tensor?[layers];
        crossValues = new Tensor?[layers];
    }

    /// <summary>The decoder's self-attention history.</summary>
    public KvCache Self { get; }

    /// <summary>Target positions decoded so far.</summary>
    public int Length => Self.Length;

    /// <summary>Batch rows (beams included).</summary>
    public int Batch => Self.Batch;

    /// <summary>
    /// The cross-attention keys and values [B, heads, source, d] of <paramref name="layer"/>: computed by
    /// <paramref name="project"/> on the first call and kept for the rest of the generation.
    /// </summary>
    public (Tensor Keys, Tensor Values) CrossAttention(int layer, Func<(Tensor Keys, Tensor Values)> project)
    {
        if (crossKeys[layer] is { } k && crossValues[layer] is { } v) return (k, v);
        var (keys, values) = project();
        crossKeys[layer] = keys.KeepAlive();
        crossValues[layer] = values.KeepAlive();
        return (keys, values);
    }

    /// <summary>
    /// Beam search's reordering: row r continues the self-attention history of row <paramref name="rows"/>[r]. Beams
    /// only move within their own source sentence, whose encoder states every beam shares, so the cross-attention
    /// keys and values stay where they are.
    /// </summary>
    public void ReorderRows(ReadOnlySpan<int> rows) => Self.ReorderRows(rows);

    /// <summary>Gives every buffer (self-attention history, cross-attention keys and values) back to the tensor pool.</summary>
    public void Dispose()
    {
        Self.Dispose();
        foreach (var tensor in crossKeys) tensor?.Dispose();
        foreach (var tensor in crossValues) tensor?.Dispose();
    }
}
