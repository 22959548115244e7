namespace Sapling.NN;

/// <summary>
/// Keys and values of past positions for each attention layer, so generation computes only the new token's
/// projections (prefill once, then one position per step). Buffers are allocated once at the full context length;
/// attention reads them in place (<see cref="Tensor.CausalAttention"/> takes the narrowed views without a copy).
/// </summary>
public sealed class KvCache : IKvCache, IDisposable
{
    private readonly Tensor[] keys;
    private readonly Tensor[] values;

    /// <summary>
    /// Creates a cache of <paramref name="layers"/> layers with the same <paramref name="heads"/> each: buffers
    /// [<paramref name="batch"/>, heads, <paramref name="maxLength"/>, <paramref name="headDim"/>] for keys and for
    /// values.
    /// </summary>
    public KvCache(int layers, int batch, int heads, int maxLength, int headDim)
        : this(Enumerable.Repeat(heads, layers).ToArray(), batch, maxLength, headDim)
    {
    }

    /// <summary>A cache whose layers may have different head counts (a model with pruned heads).</summary>
    public KvCache(int[] headsPerLayer, int batch, int maxLength, int headDim)
    {
        (Layers, Batch, MaxLength, HeadDim) = (headsPerLayer.Length, batch, maxLength, headDim);
        HeadsPerLayer = (int[])headsPerLayer.Clone();
        keys = new Tensor[Layers];
        values = new Tensor[Layers];
        // Uninitialised: attention reads only the positions written so far, and pages of a fresh buffer that are
        // never written never become resident, so a cache sized for the whole context costs memory only for the
        // positions a sequence actually reaches.
        for (int i = 0; i < Layers; i++)
        {
            keys[i] = Tensor.Empty(batch, headsPerLayer[i], maxLength, headDim).KeepAlive();
            values[i] = Tensor.Empty(batch, headsPerLayer[i], maxLength, headDim).KeepAlive();
        }
    }

    /// <summary>Number of attention layers cached.</summary>
    public int Layers { get; }
    /// <summary>Batch rows (beams included) each buffer holds.</summary>
    public int Batch { get; }

    /// <summary>Heads cached per layer.</summary>
    public IReadOnlyList<int> HeadsPerLayer { get; }
    /// <inheritdoc/>
    public int MaxLength { get; }
    /// <summary>Size of each head's key and value vectors.</summary>
    public int HeadDim { get; }

    /// <summary>Positions already stored (the same for every layer once a forward pass completes).</summary>
    public int Length { get; private set; }

    /// <summary>
    /// Appends this step's keys and values [B, H, T, hd] for <paramref name="layer"/> and returns views of everything
    /// stored so far, [B, H, Length + T, hd]. The last layer of a pass advances <see cref="Length"/>.
    /// </summary>
    public (Tensor Keys, Tensor Values) Append(int layer, Tensor newKeys, Tensor newValues)
    {
        int t = newKeys.Shape[2];
        if (Length + t > MaxLength)
            throw new InvalidOperationException($"KV cache: {Length} stored + {t} new positions exceed its length {MaxLength} (the model's context)");
        using (Autograd.NoGrad.Enter())
        {
            keys[layer].Narrow(2, Length, t).CopyFrom(newKeys);
            values[layer].Narrow(2, Length, t).CopyFrom(newValues);
        }
        var k = keys[layer].Narrow(2, 0, Length + t);
        var v = values[layer].Narrow(2, 0, Length + t);
        if (layer == Layers - 1) Length += t;
        return (k, v);
    }

    /// <inheritdoc/>
    /// <remarks>
    /// Throws when <paramref name="batch"/> is not <see cref="Batch"/>; positions before the padding clamp to 0.
    /// </remarks>
    public long[] Positions(int batch, int t, int[]? leftPadding)
    {
        if (batch != Batch) throw new ArgumentException($"KV cache: {batch} rows for a cache of {Batch}");
        if (leftPadding != null)
        {
            if (leftPadding.Length != batch) throw new ArgumentException($"KV cache: {leftPadding.Length} padding lengths for a batch of {batch}");
            Padding = leftPadding;
        }
        var positions = new long[batch * t];
        for (int r = 0; r < batch; r++)
            for (int i = 0; i < t; i++) positions[r * t + i] = Math.Max(0, Length + i - (Padding?[r] ?? 0));
        return positions;
    }

    /// <inheritdoc/>
    public Tensor Attend(int layer, Tensor q, Tensor k, Tensor v, int window = 0)
    {
        var (keys, values) = Append(layer, k, v);
        return Tensor.CausalAttention(q, keys, values, keyStart: Padding, window: window);
    }

    /// <summary>Left-padding per batch row, set by the prefill of a padded batch.</summary>
    public int[]? Padding { get; set; }

    /// <summary>
    /// Row r of every layer's stored positions becomes what row <paramref name="rows"/>[r] held (beam search: each
    /// surviving beam continues the history of the beam it was extended from). Gathered through one pooled scratch
    /// buffer per layer and copied back in place: a step of beam search allocates nothing.
    /// </summary>
    public void ReorderRows(ReadOnlySpan<int> rows)
    {
        if (rows.Length != Batch) throw new ArgumentException($"KV cache: {rows.Length} rows given for a cache of {Batch}");
        bool identity = true;
        for (int r = 0; r < rows.Length; r++)
        {
            if ((uint)rows[r] >= (uint)Batch) throw new ArgumentOutOfRangeException(nameof(rows), $"KV cache: row {rows[r]} is outside the batch of {Batch}");
            identity &= rows[r] == r;
        }
        if (identity || Length == 0) return;
        for (int layer = 0; layer < Layers; layer++)
        {
            // A row's stored positions are, per head, a run of Length·HeadDim values at a stride of MaxLength·HeadDim.
            int heads = HeadsPerLayer[layer], run = Length * HeadDim, headStride = MaxLength * HeadDim, rowStride = heads * headStride;
            var scratch = System.Buffers.ArrayPool<float>.Shared.Rent(Batch * heads * run);
            try
            {
                foreach (var buffer in (ReadOnlySpan<Tensor>)[keys[layer], values[layer]])
                {
                    var data = buffer.AsSpan();
                    for (int r = 0; r < Batch; r++)
                        for (int h = 0; h < heads; h++)
                            data.Slice(rows[r] * rowStride + h * headStride, run).CopyTo(scratch.AsSpan((r * heads + h) * run, run));
                    for (int r = 0; r < Batch; r++)
                        for (int h = 0; h < heads; h++)
                            scratch.AsSpan((r * heads + h) * run, run).CopyTo(data.Slice(r * rowStride + h * headStride, run));
                }
            }
            finally
            {
                System.Buffers.ArrayPool<float>.Shared.Return(scratch);
            }
        }
    }

    /// <summary>Forgets every position from <paramref name="length"/> on (the stored values stay until overwritten).</summary>
    public void Truncate(int length)
    {
        if (length < 0 || length > Length) throw new ArgumentOutOfRangeException(nameof(length), $"KV cache: cannot truncate {Length} stored positions to {length}");
        Length = length;
    }

    /// <summary>Gives the buffers back to the tensor pool, so the next generation's cache reuses them instead of the
    /// garbage collector finding them later.</summary>
    public void Dispose()
    {
        for (int i = 0; i < Layers; i++)
        {
            keys[i].Dispose();
            values[i].Dispose();
        }
    }

    /// <summary>
    /// Empties the cache for a new generation (<see cref="Length"/> 0, no padding), keeping the buffers allocated.
    /// </summary>
    public void Reset()
    {
        Length = 0;
        Padding = null;
    }
}
