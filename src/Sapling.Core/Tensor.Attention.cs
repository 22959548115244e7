namespace Sapling;

public sealed partial class Tensor
{
    /// <summary>
    /// Causal softmax(QKᵀ·scale)·V for q [B, H, T, D] and k, v [B, H, S, D], where query i (at absolute position
    /// S − T + i) attends to keys 0 .. S − T + i — so a KV cache holding earlier positions just makes S larger. Fused:
    /// no T×S score matrix is kept; backward recomputes the probabilities from each row's log-sum-exp.
    /// </summary>
    /// <remarks>
    /// Grouped-query attention: k and v may hold fewer heads than q (H divisible by their count); query head h then
    /// reads key/value head h / (H / KV heads), without copying the keys out to every query head.
    /// </remarks>
    /// <param name="keyStart">For left-padded batches: per batch row, the first key that is not padding (inference only).</param>
    /// <param name="window">Sliding-window attention (Mistral): a query sees only its last <paramref name="window"/> keys; 0 sees all.</param>
    public static Tensor CausalAttention(Tensor q, Tensor k, Tensor v, float? scale = null, int[]? keyStart = null, int window = 0)
    {
        RequireFloat("causal_attention", q, k);
        RequireFloat("causal_attention", q, v);
        if (q.Rank != 4 || k.Rank != 4 || v.Rank != 4)
            throw new ArgumentException($"causal_attention: q, k and v must be [batch, heads, time, head_dim], got {ShapeUtil.Format(q.shape)}, {ShapeUtil.Format(k.shape)}, {ShapeUtil.Format(v.shape)}");
        if (!ShapeUtil.SameShape(k.shape, v.shape) || k.shape[0] != q.shape[0] || k.shape[1] == 0 || q.shape[1] % k.shape[1] != 0 || k.shape[3] != q.shape[3] || k.shape[2] < q.shape[2])
            throw new ArgumentException($"causal_attention: q {ShapeUtil.Format(q.shape)} does not fit k {ShapeUtil.Format(k.shape)} and v {ShapeUtil.Format(v.shape)} (same batch and head_dim; query heads a multiple of key heads; at least as many keys as queries)");
        if (window < 0) throw new ArgumentException($"causal_attention: window must be positive or 0 (no window), got {window}");
        int b = q.shape[0], h = q.shape[1], t = q.shape[2], s = k.shape[2], d = q.shape[3];
        int groups = h / k.shape[1];
        int past = s - t;
        // A window that reaches back to key 0 from the last query changes nothing.
        if (window >= s) window = 0;
        // float32 keeps its single-precision 1/√d; float64 gets the double one.
        double sc = scale ?? (q.DType == DType.Float32 ? 1f / MathF.Sqrt(d) : 1.0 / Math.Sqrt(d));
        if (keyStart != null && keyStart.Length != b) throw new ArgumentException($"causal_attention: {keyStart.Length} key starts for a batch of {b}");
        var dtype = q.DType;
        var qc = FromElementZero(q.Contiguous());
        var output = Uninitialized(dtype, [b, h, t, d]);
        var lse = Uninitialized(dtype, [b, h, t]);
        bool recorded = AnyRequiresGrad(q, k) || AnyRequiresGrad(v);
        // Without gradients, keys and values laid out as whole rows per head (a KV cache narrowed to its filled
        // length) are read where they are: copying them would cost H·S·D per layer and token, O(N²) bytes over a
        // generation.
        if (!recorded && KvHeadStride(k, v) is int headStride)
        {
            TensorKernels.For(dtype).AttentionForward(qc, k, v, output, lse, b * h, t, s, d, past, sc, keyStart, h, headStride, groups, window);
            return output;
        }
        if (recorded && (groups > 1 || window > 0))
        {
            if (window > 0) throw new NotSupportedException($"causal_attention: sliding-window attention has no gradient for sequences longer than its window ({window} keys, {s} given); train on sequences of at most {window} tokens");
            // Training with grouped heads: every query head gets its own copy of its group's keys and values, and
            // the copies' gradients sum back into the shared heads through expand's rule.
            output.Dispose();
            lse.Dispose();
            return CausalAttention(q, RepeatHeads(k, groups), RepeatHeads(v, groups), scale, keyStart);
        }
        var kc = FromElementZero(k.Contiguous());
        var vc = FromElementZero(v.Contiguous());
        TensorKernels.For(dtype).AttentionForward(qc, kc, vc, output, lse, b * h, t, s, d, past, sc, keyStart, h, s * d, groups, window);
        if (keyStart != null)
        {
            if (recorded) throw new NotSupportedException("causal_attention: padded batches (keyStart) are for inference; gradients are not supported");
            return output;
        }
        return Record(output, "causal_attention", [q, k, v], g =>
        {
            var gc = g.Contiguous();
            var dq = Uninitialized(dtype, [b, h, t, d]);
            var dk = Uninitialized(dtype, [b, h, s, d]);
            var dv = Uninitialized(dtype, [b, h, s, d]);
            TensorKernels.For(dtype).AttentionBackward(FromElementZero(qc), FromElementZero(kc), FromElementZero(vc), output, lse, FromElementZero(gc),
                dq, dk, dv, b * h, t, s, d, past, sc);
            return [dq, dk, dv];
        });
    }

    /// <summary>
    /// Bidirectional softmax(q·kᵀ·scale)·v for q [B, H, T, D] and k, v [B, H, S, D] (PyTorch's
    /// scaled_dot_product_attention without a causal mask), where every query of batch row b sees keys
    /// 0 .. keyLengths[b] − 1 (right-padded rows; all keys without lengths). Without gradients it is one fused kernel that
    /// reads q, k and v where they are (views of projections need no copy) and returns a [B, H, T, D] view of a
    /// [B, T, H, D] result, so putting the heads back side by side costs nothing; with gradients it is the composed
    /// product, padding bias, softmax and product, whose rules autograd knows.
    /// </summary>
    public static Tensor ScaledDotProductAttention(Tensor q, Tensor k, Tensor v, int[]? keyLengths = null, double? scale = null)
    {
        RequireFloat("scaled_dot_product_attention", q, k);
        RequireFloat("scaled_dot_product_attention", q, v);
        if (q.Rank != 4 || k.Rank != 4 || v.Rank != 4 || !ShapeUtil.SameShape(k.shape, v.shape) || k.shape[0] != q.shape[0] || k.shape[1] != q.shape[1] || k.shape[3] != q.shape[3])
            throw new ArgumentException($"scaled_dot_product_attention: q, k and v must be [batch, heads, time, head_dim] with the same batch, heads and head_dim (and k, v one shape), got {ShapeUtil.Format(q.shape)}, {ShapeUtil.Format(k.shape)}, {ShapeUtil.Format(v.shape)}");
        int b = q.shape[0], h = q.shape[1], t = q.shape[2], s = k.shape[2], d = q.shape[3];
        if (keyLengths != null && keyLengths.Length != b) throw new ArgumentException($"scaled_dot_product_attention: {keyLengths.Length} key lengths for a batch of {b}");
        if (keyLengths != null)
            foreach (int length in keyLengths)
                if (length < 0 || length > s) throw new ArgumentException($"scaled_dot_product_attention: key length {length} is outside 0..{s}");
        double sc = scale ?? (q.DType == DType.Float32 ? 1f / MathF.Sqrt(d) : 1.0 / Math.Sqrt(d));
        if (AnyRequiresGrad(q, k) || AnyRequiresGrad(v))
        {
            var scores = q.MatMul(k.Transpose(-1, -2)).Mul(sc);                                             // [B, H, T, S]
            if (keyLengths != null)
            {
                var bias = new float[b * s];
                for (int r = 0; r < b; r++) bias.AsSpan(r * s + keyLengths[r], s - keyLengths[r]).Fill(-1e9f);
                scores = scores.Add(FromArray(bias, b, 1, 1, s).To(q.DType));
            }
            return scores.Softmax(-1).MatMul(v);                                                              // [B, H, T, D]
        }
        var qv = InnerContiguous(q);
        var kv = InnerContiguous(k);
        var vv = InnerContiguous(v);
        var output = Uninitialized(q.DType, [b, t, h, d]);
        TensorKernels.For(q.DType).EncoderAttentionForward(qv, Layout(qv), kv, Layout(kv), vv, Layout(vv), output, b, h, t, s, d, sc, keyLengths);
        return output.Permute(0, 2, 1, 3);

        // Heads read in place need unit stride along head_dim; anything else is copied once.
        static Tensor InnerContiguous(Tensor x) => x.strides[3] == 1 || x.shape[3] == 1 ? x : x.ContiguousCopy();
        static Backends.HeadLayout Layout(Tensor x) => new(x.offset, x.strides[0], x.strides[1], x.strides[2]);
    }

    /// <summary>
    /// Causal attention weights softmax(q·kᵀ·scale) for q [.., T, D] and k [.., S, D]: query i sees keys
    /// 0 .. (S − T) + i (<see cref="CausalSoftmax"/> with offset S − T), later keys get weight 0. One op: the scores are
    /// a temporary inside it, and the gradient rule reads q, k and the weights, so the graph keeps neither the T×S
    /// scores nor a scaled copy of q. Multiplying the result by V gives attention through GEMMs, which at short
    /// contexts is faster than <see cref="CausalAttention"/>'s row loops.
    /// </summary>
    public static Tensor CausalAttentionWeights(Tensor q, Tensor k, double scale)
    {
        RequireFloat("causal_attention_weights", q, k);
        if (q.Rank < 2 || k.Rank != q.Rank || q.shape[^1] != k.shape[^1] || k.shape[^2] < q.shape[^2])
            throw new ArgumentException($"causal_attention_weights: q {ShapeUtil.Format(q.shape)} and k {ShapeUtil.Format(k.shape)} must be [.., queries, d] and [.., keys, d] with at least as many keys as queries");
        int t = q.shape[^2], s = k.shape[^2], d = q.shape[^1];
        Tensor weights;
        using (Autograd.NoGrad.Enter())
        {
            var kT = k.Transpose(-1, -2);
            using var scores = MatMulBatched(q, kT, t, d, s, scale);
            weights = scores.CausalSoftmax(s - t);
        }
        int rows = s == 0 ? 0 : weights.NumEl / s;
        return Record(weights, "causal_attention_weights", q, k, g =>
        {
            using var dScores = SoftmaxGradient(weights, g, rows, s, log: false);
            // The scale rides on the GEMMs' alpha, as in the forward pass.
            var dq = q.requiresGrad ? MatMulBatched(dScores, k, t, s, d, scale).SumToShape(q.shape) : null;
            var dk = k.requiresGrad ? MatMulBatched(dScores.Transpose(-1, -2), q, s, t, d, scale).SumToShape(k.shape) : null;
            return (dq, dk);
        });
    }

    /// <summary>k or v [B, KV, S, D] with each head repeated <paramref name="groups"/> times: [B, KV·groups, S, D].</summary>
    private static Tensor RepeatHeads(Tensor kv, int groups)
    {
        int b = kv.shape[0], heads = kv.shape[1], s = kv.shape[2], d = kv.shape[3];
        return kv.Unsqueeze(2).Expand(b, heads, groups, s, d).Reshape(b, heads * groups, s, d);
    }

    /// <summary>
    /// When k and v [B, H, S, D] both start at element 0 and store each head's S rows of D contiguously, with one
    /// distance between consecutive heads (at least S·D) and batch rows H heads apart, that distance; otherwise null.
    /// </summary>
    private static int? KvHeadStride(Tensor k, Tensor v)
    {
        if (!ShapeUtil.SameShape(k.strides, v.strides)) return null;
        int b = k.shape[0], h = k.shape[1], s = k.shape[2], d = k.shape[3];
        if (k.offset != 0 || v.offset != 0 || b * h * s * d == 0) return null;
        if ((d > 1 && k.strides[3] != 1) || (s > 1 && k.strides[2] != d)) return null;
        long headStride = h > 1 ? k.strides[1] : b > 1 ? k.strides[0] : (long)s * d;
        if (headStride < (long)s * d || (b > 1 && k.strides[0] != headStride * h)) return null;
        // The last head's rows must lie inside both storages.
        long end = (b * h - 1) * headStride + (long)s * d;
        if (end > k.storage.Length || end > v.storage.Length) return null;
        return (int)headStride;
    }

    /// <summary>A contiguous tensor whose elements start at element 0 of its storage (copying when it is an offset view).</summary>
    private static Tensor FromElementZero(Tensor t) => t.offset == 0 ? t : t.ContiguousCopy();
}
