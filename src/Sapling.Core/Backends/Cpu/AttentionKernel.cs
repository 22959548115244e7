using System.Runtime.Intrinsics;

namespace Sapling.Backends.Cpu;

/// <summary>
/// Causal scaled dot-product attention one query row at a time: scores, softmax and the weighted sum of values use a
/// buffer of one row (length S), never a T×S matrix. The forward pass keeps only each row's log-sum-exp; the backward
/// pass recomputes the probabilities from it (the FlashAttention idea, without tiling since rows fit in cache).
/// Heads are independent, so (batch, head) pairs run in parallel and each owns its gradient rows.
/// </summary>
internal static unsafe class AttentionKernel
{
    /// <summary>Queries per block of the blocked forward (prompts): the block's scores are one row of 64 × S floats.</summary>
    private const int QueryBlock = 64;

    /// <summary>From this many queries per head the forward runs in blocks of products rather than row by row.</summary>
    private const int BlockedFromQueries = 16;

    /// <summary>
    /// q [BH, T, D], k and v [BH, S, D] with head h at h·kvHeadStride (0: packed, S·D), out [BH, T, D], lse [BH, T];
    /// query i sees keys 0 .. past + i (the last <paramref name="window"/> of them when it is positive); query head h reads
    /// key/value head h / <paramref name="kvGroups"/>.
    /// </summary>
    public static void Forward(float[] q, float[] k, float[] v, float[] output, float[] lse, int heads, int t, int s, int d, int past, float scale, int[]? keyStart = null, int headsPerRow = 1, int kvHeadStride = 0, int kvGroups = 1, int window = 0)
    {
        if (kvHeadStride == 0) kvHeadStride = s * d;
        if (t >= BlockedFromQueries)
        {
            ForwardBlocked(q, k, v, output, lse, heads, t, s, d, past, scale, keyStart, headsPerRow, kvHeadStride, kvGroups, window);
            return;
        }
        SoftmaxKernel.RowsParallel(heads, (long)t * s * d, (h0, h1) =>
        {
            // One score row per worker, from the shared pool: decoding calls this per layer and token.
            var scores = System.Buffers.ArrayPool<float>.Shared.Rent(Math.Max(s, 1));
            try
            {
                for (int h = h0; h < h1; h++)
                {
                    int kv = h / kvGroups * kvHeadStride;
                    // Left-padded rows of a batch start attending at their first real key.
                    int padding = keyStart?[h / headsPerRow] ?? 0;
                    for (int i = 0; i < t; i++)
                    {
                        var (first, visible) = KeysSeen(i, s, past, window, padding);
                        var qi = q.AsSpan((h * t + i) * d, d);
                        var oi = output.AsSpan((h * t + i) * d, d);
                        if (first >= visible)
                        {
                            oi.Clear();
                            lse[h * t + i] = 0f;
                            continue;
                        }
                        float max = float.NegativeInfinity;
                        for (int j = first; j < visible; j++)
                        {
                            float sc = RowMath.Dot(qi, k.AsSpan(kv + j * d, d)) * scale;
                            scores[j] = sc;
                            if (sc > max) max = sc;
                        }
                        float sum = FastMath.ExpShiftedAndSum(scores.AsSpan(first, visible - first), max, scores.AsSpan(first, visible - first));
                        float inv = 1f / sum;
                        oi.Clear();
                        for (int j = first; j < visible; j++) AddScaled(oi, v.AsSpan(kv + j * d, d), scores[j] * inv);
                        lse[h * t + i] = max + MathF.Log(sum);
                    }
                }
            }
            finally
            {
                System.Buffers.ArrayPool<float>.Shared.Return(scores);
            }
        });
    }

    /// <summary>
    /// Keys first .. end − 1 that query i sees: up to its own position past + i, from its window's first (or the first
    /// real key of a left-padded row). first ≥ end when it sees none.
    /// </summary>
    private static (int First, int End) KeysSeen(int i, int s, int past, int window, int padding) =>
        (window > 0 ? Math.Max(padding, past + i + 1 - window) : padding, Math.Min(s, past + i + 1));

    /// <summary>
    /// <see cref="Forward"/> for many queries (a prompt): per head, blocks of 64 queries meet the keys any of them sees
    /// in one product (scale·Q·Kᵀ), each row's softmax runs over its own visible keys (the rest of the row is zeroed),
    /// and a second product adds P·V into the block's output. Row by row, a prompt's attention read every key once per
    /// query through a dot product of d = 64 and took a fifth of a 512-token prefill; the products read each key once
    /// per block. The scores above the diagonal of a block are computed and discarded (at most 63 per row).
    /// </summary>
    private static void ForwardBlocked(float[] q, float[] k, float[] v, float[] output, float[] lse, int heads, int t, int s, int d, int past, float scale,
        int[]? keyStart, int headsPerRow, int kvHeadStride, int kvGroups, int window)
    {
        SoftmaxKernel.RowsParallel(heads, (long)t * s * d, (h0, h1) =>
        {
            var scores = System.Buffers.ArrayPool<float>.Shared.Rent(QueryBlock * Math.Max(s, 1));
            try
            {
                fixed (float* qp = q, kp = k, vp = v, op = output, sp = scores)
                {
                    for (int h = h0; h < h1; h++)
                    {
                        long kv = (long)(h / kvGroups) * kvHeadStride;
                        int padding = keyStart?[h / headsPerRow] ?? 0;
                        for (int i0 = 0; i0 < t; i0 += QueryBlock)
                        {
                            int rows = Math.Min(QueryBlock, t - i0);
                            // The block's keys: from the first row's first to the last row's last visible one.
                            int firstKey = KeysSeen(i0, s, past, window, padding).First;
                            int endKey = KeysSeen(i0 + rows - 1, s, past, window, padding).End;
                            float* outBlock = op + ((long)h * t + i0) * d;
                            if (firstKey >= endKey)
                            {
                                new Span<float>(outBlock, rows * d).Clear();
                                new Span<float>(lse, h * t + i0, rows).Clear();
                                continue;
                            }
                            int cols = endKey - firstKey;
                            Gemm.SgemmManaged(false, true, rows, cols, d, scale, qp + ((long)h * t + i0) * d, d, kp + kv + (long)firstKey * d, d, 0f, sp, cols);
                            for (int r = 0; r < rows; r++)
                            {
                                int i = i0 + r;
                                var (first, visible) = KeysSeen(i, s, past, window, padding);
                                var row = new Span<float>(sp + (long)r * cols, cols);
                                if (first >= visible)
                                {
                                    row.Clear();
                                    lse[h * t + i] = 0f;
                                    continue;
                                }
                                var seen = row[(first - firstKey)..(visible - firstKey)];
                                float max = RowMath.Max(seen);
                                float sum = FastMath.ExpShiftedAndSum(seen, max, seen);
                                RowMath.Scale(seen, 1f / sum);
                                row[..(first - firstKey)].Clear();
                                row[(visible - firstKey)..].Clear();
                                lse[h * t + i] = max + MathF.Log(sum);
                            }
                            Gemm.SgemmManaged(false, false, rows, d, cols, 1f, sp, cols, vp + kv + (long)firstKey * d, d, 0f, outBlock, d);
                        }
                    }
                }
            }
            finally
            {
                System.Buffers.ArrayPool<float>.Shared.Return(scores);
            }
        });
    }

    /// <summary>dS = P ⊙ (dO·Vᵀ − rowsum(dO ⊙ O)); dQ = scale·dS·K; dK = scale·dSᵀ·Q; dV = Pᵀ·dO.</summary>
    public static void Backward(float[] q, float[] k, float[] v, float[] output, float[] lse, float[] dOut,
        float[] dq, float[] dk, float[] dv, int heads, int t, int s, int d, int past, float scale)
    {
        Array.Clear(dk, 0, heads * s * d);
        Array.Clear(dv, 0, heads * s * d);
        SoftmaxKernel.RowsParallel(heads, (long)t * s * d, (h0, h1) =>
        {
            for (int h = h0; h < h1; h++)
            {
                for (int i = 0; i < t; i++)
                {
                    int visible = Math.Min(s, past + i + 1);
                    int row = (h * t + i) * d;
                    var qi = q.AsSpan(row, d);
                    var doi = dOut.AsSpan(row, d);
                    float delta = RowMath.Dot(doi, output.AsSpan(row, d));
                    float rowLse = lse[h * t + i];
                    var dqi = dq.AsSpan(row, d);
                    dqi.Clear();
                    for (int j = 0; j < visible; j++)
                    {
                        int col = (h * s + j) * d;
                        var kj = k.AsSpan(col, d);
                        float p = MathF.Exp(RowMath.Dot(qi, kj) * scale - rowLse);
                        float dp = RowMath.Dot(doi, v.AsSpan(col, d));
                        float ds = p * (dp - delta) * scale;
                        AddScaled(dqi, kj, ds);
                        AddScaled(dk.AsSpan(col, d), qi, ds);
                        AddScaled(dv.AsSpan(col, d), doi, p);
                    }
                }
            }
        });
    }

    /// <summary>y += a·x.</summary>
    private static void AddScaled(Span<float> y, ReadOnlySpan<float> x, float a)
    {
        var av = Vector256.Create(a);
        int i = 0;
        for (; i <= y.Length - 8; i += 8)
            Vector256.FusedMultiplyAdd(Vector256.Create(x.Slice(i, 8)), av, Vector256.Create(y.Slice(i, 8))).CopyTo(y.Slice(i, 8));
        for (; i < y.Length; i++) y[i] += a * x[i];
    }
}
