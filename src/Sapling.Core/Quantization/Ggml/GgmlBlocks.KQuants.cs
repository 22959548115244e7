using System.Buffers.Binary;

namespace Sapling.Quantization.Ggml;

// The K-quants: 256-element super-blocks split into 16 sub-blocks of 16 (Q2_K, Q3_K, Q6_K) or 8 of 32 (Q4_K, Q5_K),
// each sub-block with its own small integer scale (and min), which are themselves quantised against one or two
// binary16 super-block scales. The quantisers search for good sub-block scales (make_qx_quants, make_q3_quants,
// make_qkx2_quants below), quantise the scales, then requantise the values against the scales as stored.
//
// Bit layout shared by Q2_K, Q3_K and Q6_K: 2-bit fields are packed four per byte over 128-element halves, byte l of a
// half holding elements l, l+32, l+64, l+96 at shifts 0, 2, 4, 6.
public static partial class GgmlBlocks
{
    private const int SuperBlock = 256;

    /// <summary>Below this largest magnitude a group counts as all zeros.</summary>
    private const float GroupMaxEps = 1e-15f;

    // =================================================================================================================
    // Scale searches. All arithmetic is float, in ggml's order; the results feed integer rounding, so a single
    // differently-rounded product would change bytes.
    // =================================================================================================================

    /// <summary>
    /// Symmetric quantisation of <paramref name="x"/> to L ∈ [0, 2·nmax) (stored with the offset nmax), weighting each
    /// element by x² (ggml's rmse_type 1, no importance matrix): starts from the scale that maps the extreme value to
    /// −nmax, then tries 18 nearby scales (nmax ± 0.1·k) and keeps the least-squares one. Returns the scale.
    /// </summary>
    private static float MakeQxQuants(int nmax, ReadOnlySpan<float> x, Span<sbyte> L)
    {
        int n = x.Length;
        float max = SignedAbsMax(x);
        if (MathF.Abs(max) < GroupMaxEps)
        {
            L[..n].Clear();
            return 0f;
        }
        float iscale = -nmax / max;
        float sumlx = 0f, suml2 = 0f;
        for (int i = 0; i < n; i++)
        {
            int l = Math.Max(-nmax, Math.Min(nmax - 1, NearestInt(iscale * x[i])));
            L[i] = (sbyte)(l + nmax);
            float w = x[i] * x[i];
            sumlx += w * x[i] * l;
            suml2 += w * l * l;
        }
        float scale = suml2 != 0f ? sumlx / suml2 : 0f;
        float best = scale * sumlx;
        for (int step = -9; step <= 9; step++)
        {
            if (step == 0) continue;
            iscale = -(nmax + 0.1f * step) / max;
            sumlx = suml2 = 0f;
            for (int i = 0; i < n; i++)
            {
                int l = Math.Max(-nmax, Math.Min(nmax - 1, NearestInt(iscale * x[i])));
                float w = x[i] * x[i];
                sumlx += w * x[i] * l;
                suml2 += w * l * l;
            }
            // Compare sumlx²/suml2 (the explained energy) without dividing.
            if (suml2 > 0f && sumlx * sumlx > best * suml2)
            {
                for (int i = 0; i < n; i++)
                    L[i] = (sbyte)(nmax + Math.Max(-nmax, Math.Min(nmax - 1, NearestInt(iscale * x[i]))));
                scale = sumlx / suml2;
                best = scale * sumlx;
            }
        }
        return scale;
    }

    /// <summary>
    /// Symmetric quantisation for Q3_K: L ∈ [0, 2·nmax) (offset nmax). Starts from the scale that maps the extreme to
    /// −nmax, then up to five passes of coordinate descent, moving single elements to the level that most improves the
    /// x²-weighted least-squares fit. Returns the scale.
    /// </summary>
    private static float MakeQ3Quants(int nmax, ReadOnlySpan<float> x, Span<sbyte> L)
    {
        int n = x.Length;
        float max = SignedAbsMax(x);
        if (MathF.Abs(max) < GroupMaxEps)
        {
            L[..n].Clear();
            return 0f;
        }
        float iscale = -nmax / max;
        float sumlx = 0f, suml2 = 0f;
        for (int i = 0; i < n; i++)
        {
            int l = Math.Max(-nmax, Math.Min(nmax - 1, NearestInt(iscale * x[i])));
            L[i] = (sbyte)l;
            float w = x[i] * x[i];
            sumlx += w * x[i] * l;
            suml2 += w * l * l;
        }
        for (int pass = 0; pass < 5; pass++)
        {
            int changed = 0;
            for (int i = 0; i < n; i++)
            {
                float w = x[i] * x[i];
                float slx = sumlx - w * x[i] * L[i];
                if (slx > 0f)
                {
                    float sl2 = suml2 - w * L[i] * L[i];
                    int newL = Math.Max(-nmax, Math.Min(nmax - 1, NearestInt(x[i] * sl2 / slx)));
                    if (newL != L[i])
                    {
                        slx += w * x[i] * newL;
                        sl2 += w * newL * newL;
                        if (sl2 > 0f && slx * slx * suml2 > sumlx * sumlx * sl2)
                        {
                            L[i] = (sbyte)newL;
                            sumlx = slx;
                            suml2 = sl2;
                            changed++;
                        }
                    }
                }
            }
            if (changed == 0) break;
        }
        for (int i = 0; i < n; i++) L[i] = (sbyte)(L[i] + nmax);
        return suml2 > 0f ? sumlx / suml2 : 0f;
    }

    /// <summary>
    /// Affine quantisation x ≈ scale·L − theMin with L ∈ [0, nmax] and theMin ≥ 0, minimising the weighted squared
    /// (or, with <paramref name="useMad"/>, absolute) error: starts from the min/max fit, then for nstep+1 candidate
    /// scales (nmax + rmin + rdelta·k over the range) solves the weighted least-squares scale and min for the resulting
    /// levels and keeps the best. Returns the scale; <paramref name="theMin"/> gets the (positive) offset.
    /// </summary>
    private static float MakeQkx2Quants(int nmax, ReadOnlySpan<float> x, ReadOnlySpan<float> weights, Span<byte> L, out float theMin,
        Span<byte> Laux, float rmin, float rdelta, int nstep, bool useMad)
    {
        int n = x.Length;
        float min = x[0], max = x[0];
        float sumW = weights[0];
        float sumX = sumW * x[0];
        for (int i = 1; i < n; i++)
        {
            if (x[i] < min) min = x[i];
            if (x[i] > max) max = x[i];
            float w = weights[i];
            sumW += w;
            sumX += w * x[i];
        }
        if (min > 0f) min = 0f;   // the offset only ever shifts down: a block of positives keeps L = 0 at zero
        if (max == min)
        {
            L[..n].Clear();
            theMin = -min;
            return 0f;
        }
        float iscale = nmax / (max - min);
        float scale = 1f / iscale;
        float bestError = 0f;
        for (int i = 0; i < n; i++)
        {
            int l = NearestInt(iscale * (x[i] - min));
            L[i] = (byte)Math.Max(0, Math.Min(nmax, l));
            float diff = scale * L[i] + min - x[i];
            diff = useMad ? MathF.Abs(diff) : diff * diff;
            bestError += weights[i] * diff;
        }
        if (nstep < 1)
        {
            theMin = -min;
            return scale;
        }
        for (int step = 0; step <= nstep; step++)
        {
            iscale = (rmin + rdelta * step + nmax) / (max - min);
            float sumL = 0f, sumL2 = 0f, sumXL = 0f;
            for (int i = 0; i < n; i++)
            {
                int l = Math.Max(0, Math.Min(nmax, NearestInt(iscale * (x[i] - min))));
                Laux[i] = (byte)l;
                float w = weights[i];
                sumL += w * l;
                sumL2 += w * l * l;
                sumXL += w * l * x[i];
            }
            // Weighted least squares for x ≈ a·l + b (Cramer's rule); a positive b is not allowed, refit with b = 0.
            float det = sumW * sumL2 - sumL * sumL;
            if (det > 0f)
            {
                float thisScale = (sumW * sumXL - sumX * sumL) / det;
                float thisMin = (sumL2 * sumX - sumL * sumXL) / det;
                if (thisMin > 0f)
                {
                    thisMin = 0f;
                    thisScale = sumXL / sumL2;
                }
                float error = 0f;
                for (int i = 0; i < n; i++)
                {
                    float diff = thisScale * Laux[i] + thisMin - x[i];
                    diff = useMad ? MathF.Abs(diff) : diff * diff;
                    error += weights[i] * diff;
                }
                if (error < bestError)
                {
                    Laux[..n].CopyTo(L);
                    bestError = error;
                    scale = thisScale;
                    min = thisMin;
                }
            }
        }
        theMin = -min;
        return scale;
    }

    // =================================================================================================================
    // Q2_K: 84 bytes = 16 scale bytes | 64 bytes of 2-bit values | f16 d | f16 dmin.
    // Scale byte j (sub-block of 16): low nibble = scale, high nibble = min.  x ≈ d·sc·q − dmin·m, q ∈ [0, 3].
    // =================================================================================================================

    private static void QuantizeQ2_K(ReadOnlySpan<float> src, Span<byte> dst, int blocks)
    {
        Span<byte> L = stackalloc byte[SuperBlock];
        Span<byte> Laux = stackalloc byte[16];
        Span<float> weights = stackalloc float[16];
        Span<float> scales = stackalloc float[16];
        Span<float> mins = stackalloc float[16];
        const float q4scale = 15f;
        for (int b = 0; b < blocks; b++)
        {
            var x = src.Slice(b * SuperBlock, SuperBlock);
            var y = dst.Slice(b * 84, 84);
            var yScales = y[..16];
            var yQs = y.Slice(16, 64);
            float maxScale = 0f, maxMin = 0f;
            for (int j = 0; j < 16; j++)
            {
                var xs = x.Slice(16 * j, 16);
                for (int l = 0; l < 16; l++) weights[l] = MathF.Abs(xs[l]);
                scales[j] = MakeQkx2Quants(3, xs, weights, L.Slice(16 * j, 16), out mins[j], Laux, -0.5f, 0.1f, 15, true);
                if (scales[j] > maxScale) maxScale = scales[j];
                if (mins[j] > maxMin) maxMin = mins[j];
            }

            if (maxScale > 0f)
            {
                float iscale = q4scale / maxScale;
                for (int j = 0; j < 16; j++) yScales[j] = (byte)NearestInt(iscale * scales[j]);
                WriteHalf(y, 80, maxScale / q4scale);
            }
            else
            {
                yScales.Clear();
                WriteHalf(y, 80, 0f);
            }
            if (maxMin > 0f)
            {
                float iscale = q4scale / maxMin;
                for (int j = 0; j < 16; j++) yScales[j] = (byte)(yScales[j] | (NearestInt(iscale * mins[j]) << 4));
                WriteHalf(y, 82, maxMin / q4scale);
            }
            else
            {
                WriteHalf(y, 82, 0f);
            }

            // Requantise against the scales as stored; a sub-block whose scale came out zero keeps its search levels.
            float dAll = ReadHalf(y, 80), dminAll = ReadHalf(y, 82);
            for (int j = 0; j < 16; j++)
            {
                float d = dAll * (yScales[j] & 0xF);
                if (d == 0f) continue;
                float dm = dminAll * (yScales[j] >> 4);
                for (int i = 0; i < 16; i++)
                    L[16 * j + i] = (byte)Math.Max(0, Math.Min(3, NearestInt((x[16 * j + i] + dm) / d)));
            }

            Pack2Bit(L, yQs);
        }
    }

    private static void DequantizeQ2_K(ReadOnlySpan<byte> src, Span<float> dst, int blocks)
    {
        for (int b = 0; b < blocks; b++)
        {
            var x = src.Slice(b * 84, 84);
            var y = dst.Slice(b * SuperBlock, SuperBlock);
            float d = ReadHalf(x, 80), min = ReadHalf(x, 82);
            for (int e = 0; e < SuperBlock; e++)
            {
                byte sc = x[e / 16];
                float dl = d * (sc & 0xF), ml = min * (sc >> 4);
                y[e] = dl * Unpack2Bit(x.Slice(16, 64), e) - ml;
            }
        }
    }

    /// <summary>Packs 256 two-bit values: byte 32·h + l holds elements 128·h + l + 32·k at bit 2k.</summary>
    private static void Pack2Bit(ReadOnlySpan<byte> L, Span<byte> qs)
    {
        for (int h = 0; h < 2; h++)
            for (int l = 0; l < 32; l++)
            {
                int e = 128 * h + l;
                qs[32 * h + l] = (byte)(L[e] | (L[e + 32] << 2) | (L[e + 64] << 4) | (L[e + 96] << 6));
            }
    }

    /// <summary>The two-bit value of element <paramref name="e"/> in <see cref="Pack2Bit"/>'s layout.</summary>
    private static int Unpack2Bit(ReadOnlySpan<byte> qs, int e)
    {
        int h = e / 128, k = e % 128 / 32, l = e % 32;
        return (qs[32 * h + l] >> (2 * k)) & 3;
    }

    // =================================================================================================================
    // Q3_K: 110 bytes = 32 bytes of high bits | 64 bytes of low 2 bits | 12 bytes of 6-bit scales | f16 d.
    // x ≈ d · (sc − 32) · (q − 4), q ∈ [0, 7]: low two bits in the 2-bit layout, the third bit of element e in
    // hmask byte e % 32, bit e / 32. Scale j (of 16, 6 bits, stored +32): low nibble in byte j (j < 8, low half) or
    // byte j − 8 (high half); its top two bits in byte 8 + j % 4 at bit 2·(j / 4).
    // =================================================================================================================

    private static void QuantizeQ3_K(ReadOnlySpan<float> src, Span<byte> dst, int blocks)
    {
        Span<sbyte> L = stackalloc sbyte[SuperBlock];
        Span<byte> low = stackalloc byte[SuperBlock];
        Span<float> scales = stackalloc float[16];
        for (int b = 0; b < blocks; b++)
        {
            var x = src.Slice(b * SuperBlock, SuperBlock);
            var y = dst.Slice(b * 110, 110);
            var hmask = y[..32];
            var qs = y.Slice(32, 64);
            var yScales = y.Slice(96, 12);

            float maxScale = 0f, amax = 0f;
            for (int j = 0; j < 16; j++)
            {
                scales[j] = MakeQ3Quants(4, x.Slice(16 * j, 16), L.Slice(16 * j, 16));
                float a = MathF.Abs(scales[j]);
                if (a > amax)
                {
                    amax = a;
                    maxScale = scales[j];
                }
            }

            yScales.Clear();
            if (maxScale != 0f)
            {
                float iscale = -32f / maxScale;
                for (int j = 0; j < 16; j++)
                {
                    int l = Math.Max(-32, Math.Min(31, (int)(sbyte)NearestInt(iscale * scales[j]))) + 32;
                    if (j < 8) yScales[j] = (byte)(l & 0xF);
                    else yScales[j - 8] |= (byte)((l & 0xF) << 4);
                    yScales[j % 4 + 8] |= (byte)((l >> 4) << (2 * (j / 4)));
                }
                WriteHalf(y, 108, 1f / iscale);
            }
            else
            {
                WriteHalf(y, 108, 0f);
            }

            float dAll = ReadHalf(y, 108);
            for (int j = 0; j < 16; j++)
            {
                float d = dAll * Q3Scale(yScales, j);
                if (d == 0f) continue;
                for (int i = 0; i < 16; i++)
                    L[16 * j + i] = (sbyte)(Math.Max(-4, Math.Min(3, NearestInt(x[16 * j + i] / d))) + 4);
            }

            // Split each 3-bit level into the high-bit mask and the low two bits.
            hmask.Clear();
            for (int e = 0; e < SuperBlock; e++)
            {
                int q = L[e];
                if (q > 3)
                {
                    hmask[e % 32] |= (byte)(1 << (e / 32));
                    q -= 4;
                }
                low[e] = (byte)q;
            }
            Pack2Bit(low, qs);
        }
    }

    /// <summary>Sub-block scale <paramref name="j"/> of a Q3_K block, with its +32 offset removed.</summary>
    private static int Q3Scale(ReadOnlySpan<byte> scales, int j)
    {
        int low = j < 8 ? scales[j] & 0xF : scales[j - 8] >> 4;
        int high = (scales[8 + j % 4] >> (2 * (j / 4))) & 3;
        return (sbyte)(low | (high << 4)) - 32;
    }

    private static void DequantizeQ3_K(ReadOnlySpan<byte> src, Span<float> dst, int blocks)
    {
        for (int b = 0; b < blocks; b++)
        {
            var x = src.Slice(b * 110, 110);
            var y = dst.Slice(b * SuperBlock, SuperBlock);
            var hmask = x[..32];
            var qs = x.Slice(32, 64);
            var scales = x.Slice(96, 12);
            float dAll = ReadHalf(x, 108);
            for (int j = 0; j < 16; j++)
            {
                float dl = dAll * Q3Scale(scales, j);
                for (int i = 0; i < 16; i++)
                {
                    int e = 16 * j + i;
                    int high = (hmask[e % 32] >> (e / 32)) & 1;
                    y[e] = dl * (Unpack2Bit(qs, e) - (high != 0 ? 0 : 4));
                }
            }
        }
    }

    // =================================================================================================================
    // Q4_K: 144 bytes = f16 d | f16 dmin | 12 bytes of 6-bit scales and mins | 128 bytes of nibbles.
    // Q5_K: 176 bytes = f16 d | f16 dmin | 12 bytes of scales and mins | 32 bytes of fifth bits | 128 bytes of nibbles.
    // Sub-block j of 32: x ≈ d·sc_j·q − dmin·m_j. Nibbles: byte 32·c + l holds element 64·c + l (low) and
    // 64·c + 32 + l (high). Q5_K's fifth bit of element 64·c + 32·s + l is bit 2c + s of byte l.
    // The 12 scale bytes (get_scale_min_k4): for j < 4, sc_j = byte j & 63 and m_j = byte j+4 & 63; for j ≥ 4, the
    // low nibbles live in byte j+4 (sc low, m high) and the top two bits in the spare top bits of bytes j−4 (sc) and
    // j (m).
    // =================================================================================================================

    private static (int Scale, int Min) ScaleMinK4(ReadOnlySpan<byte> q, int j) => j < 4
        ? (q[j] & 63, q[j + 4] & 63)
        : ((q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4), (q[j + 4] >> 4) | ((q[j] >> 6) << 4));

    /// <summary>
    /// The part Q4_K and Q5_K share: per 32-element sub-block search (levels 0..nmax, weights rms + |x|), 6-bit scale
    /// and min quantisation into bytes 4..15, d and dmin at bytes 0 and 2, and the final levels in <paramref name="L"/>.
    /// </summary>
    private static void QuantizeScalesK4(ReadOnlySpan<float> x, Span<byte> y, Span<byte> L, int nmax, float rmin, int nstep,
        Span<float> scales, Span<float> mins, Span<float> weights, Span<byte> Laux)
    {
        float maxScale = 0f, maxMin = 0f;
        for (int j = 0; j < 8; j++)
        {
            var xs = x.Slice(32 * j, 32);
            float sumX2 = 0f;
            for (int l = 0; l < 32; l++) sumX2 += xs[l] * xs[l];
            float avX = MathF.Sqrt(sumX2 / 32);
            for (int l = 0; l < 32; l++) weights[l] = avX + MathF.Abs(xs[l]);
            scales[j] = MakeQkx2Quants(nmax, xs, weights, L.Slice(32 * j, 32), out mins[j], Laux, rmin, 0.1f, nstep, false);
            if (scales[j] > maxScale) maxScale = scales[j];
            if (mins[j] > maxMin) maxMin = mins[j];
        }

        float invScale = maxScale > 0f ? 63f / maxScale : 0f;
        float invMin = maxMin > 0f ? 63f / maxMin : 0f;
        var packed = y.Slice(4, 12);
        for (int j = 0; j < 8; j++)
        {
            // C stores the rounded values in uint8 before capping them, hence the byte casts.
            byte ls = Math.Min((byte)63, (byte)NearestInt(invScale * scales[j]));
            byte lm = Math.Min((byte)63, (byte)NearestInt(invMin * mins[j]));
            if (j < 4)
            {
                packed[j] = ls;
                packed[j + 4] = lm;
            }
            else
            {
                packed[j + 4] = (byte)((ls & 0xF) | ((lm & 0xF) << 4));
                packed[j - 4] |= (byte)((ls >> 4) << 6);
                packed[j] |= (byte)((lm >> 4) << 6);
            }
        }
        WriteHalf(y, 0, maxScale / 63f);
        WriteHalf(y, 2, maxMin / 63f);

        float dAll = ReadHalf(y, 0), dminAll = ReadHalf(y, 2);
        for (int j = 0; j < 8; j++)
        {
            var (sc, m) = ScaleMinK4(packed, j);
            float d = dAll * sc;
            if (d == 0f) continue;
            float dm = dminAll * m;
            for (int i = 0; i < 32; i++)
                L[32 * j + i] = (byte)Math.Max(0, Math.Min(nmax, NearestInt((x[32 * j + i] + dm) / d)));
        }
    }

    private static void QuantizeQ4_K(ReadOnlySpan<float> src, Span<byte> dst, int blocks)
    {
        Span<byte> L = stackalloc byte[SuperBlock];
        Span<byte> Laux = stackalloc byte[32];
        Span<float> weights = stackalloc float[32];
        Span<float> scales = stackalloc float[8];
        Span<float> mins = stackalloc float[8];
        for (int b = 0; b < blocks; b++)
        {
            var x = src.Slice(b * SuperBlock, SuperBlock);
            var y = dst.Slice(b * 144, 144);
            QuantizeScalesK4(x, y, L, 15, -1f, 20, scales, mins, weights, Laux);
            var qs = y.Slice(16, 128);
            for (int c = 0; c < 4; c++)
                for (int l = 0; l < 32; l++)
                    qs[32 * c + l] = (byte)(L[64 * c + l] | (L[64 * c + 32 + l] << 4));
        }
    }

    private static void DequantizeQ4_K(ReadOnlySpan<byte> src, Span<float> dst, int blocks)
    {
        for (int b = 0; b < blocks; b++)
        {
            var x = src.Slice(b * 144, 144);
            var y = dst.Slice(b * SuperBlock, SuperBlock);
            float d = ReadHalf(x, 0), min = ReadHalf(x, 2);
            var packed = x.Slice(4, 12);
            var qs = x.Slice(16, 128);
            for (int c = 0; c < 4; c++)
            {
                var (sc1, m1) = ScaleMinK4(packed, 2 * c);
                var (sc2, m2) = ScaleMinK4(packed, 2 * c + 1);
                float d1 = d * sc1, min1 = min * m1, d2 = d * sc2, min2 = min * m2;
                for (int l = 0; l < 32; l++)
                {
                    y[64 * c + l] = d1 * (qs[32 * c + l] & 0xF) - min1;
                    y[64 * c + 32 + l] = d2 * (qs[32 * c + l] >> 4) - min2;
                }
            }
        }
    }

    private static void QuantizeQ5_K(ReadOnlySpan<float> src, Span<byte> dst, int blocks)
    {
        Span<byte> L = stackalloc byte[SuperBlock];
        Span<byte> Laux = stackalloc byte[32];
        Span<float> weights = stackalloc float[32];
        Span<float> scales = stackalloc float[8];
        Span<float> mins = stackalloc float[8];
        for (int b = 0; b < blocks; b++)
        {
            var x = src.Slice(b * SuperBlock, SuperBlock);
            var y = dst.Slice(b * 176, 176);
            QuantizeScalesK4(x, y, L, 31, -0.5f, 15, scales, mins, weights, Laux);
            var qh = y.Slice(16, 32);
            var qs = y.Slice(48, 128);
            qh.Clear();
            for (int c = 0; c < 4; c++)
                for (int l = 0; l < 32; l++)
                {
                    int q1 = L[64 * c + l], q2 = L[64 * c + 32 + l];
                    if (q1 > 15)
                    {
                        q1 -= 16;
                        qh[l] |= (byte)(1 << (2 * c));
                    }
                    if (q2 > 15)
                    {
                        q2 -= 16;
                        qh[l] |= (byte)(2 << (2 * c));
                    }
                    qs[32 * c + l] = (byte)(q1 | (q2 << 4));
                }
        }
    }

    private static void DequantizeQ5_K(ReadOnlySpan<byte> src, Span<float> dst, int blocks)
    {
        for (int b = 0; b < blocks; b++)
        {
            var x = src.Slice(b * 176, 176);
            var y = dst.Slice(b * SuperBlock, SuperBlock);
            float d = ReadHalf(x, 0), min = ReadHalf(x, 2);
            var packed = x.Slice(4, 12);
            var qh = x.Slice(16, 32);
            var qs = x.Slice(48, 128);
            for (int c = 0; c < 4; c++)
            {
                var (sc1, m1) = ScaleMinK4(packed, 2 * c);
                var (sc2, m2) = ScaleMinK4(packed, 2 * c + 1);
                float d1 = d * sc1, min1 = min * m1, d2 = d * sc2, min2 = min * m2;
                for (int l = 0; l < 32; l++)
                {
                    int h1 = (qh[l] >> (2 * c)) & 1, h2 = (qh[l] >> (2 * c + 1)) & 1;
                    y[64 * c + l] = d1 * ((qs[32 * c + l] & 0xF) + 16 * h1) - min1;
                    y[64 * c + 32 + l] = d2 * ((qs[32 * c + l] >> 4) + 16 * h2) - min2;
                }
            }
        }
    }

    // =================================================================================================================
    // Q6_K: 210 bytes = 128 bytes of low nibbles | 64 bytes of high 2 bits | 16 int8 scales | f16 d.
    // x ≈ d · sc_{e/16} · (q − 32), q ∈ [0, 63]. Per 128-element half h: low-nibble byte 64h + l holds elements
    // 128h + l (low) and 128h + 64 + l (high), byte 64h + 32 + l holds 128h + 32 + l and 128h + 96 + l; the high two
    // bits of 128h + l + 32k are at bit 2k of byte 32h + l of the high-bit area.
    // =================================================================================================================

    private static void QuantizeQ6_K(ReadOnlySpan<float> src, Span<byte> dst, int blocks)
    {
        Span<sbyte> L = stackalloc sbyte[SuperBlock];
        Span<float> scales = stackalloc float[16];
        for (int b = 0; b < blocks; b++)
        {
            var x = src.Slice(b * SuperBlock, SuperBlock);
            var y = dst.Slice(b * 210, 210);
            float maxScale = 0f, maxAbsScale = 0f;
            for (int j = 0; j < 16; j++)
            {
                scales[j] = MakeQxQuants(32, x.Slice(16 * j, 16), L.Slice(16 * j, 16));
                float a = MathF.Abs(scales[j]);
                if (a > maxAbsScale)
                {
                    maxAbsScale = a;
                    maxScale = scales[j];
                }
            }
            if (maxAbsScale < GroupMaxEps)
            {
                y.Clear();   // all-zero block, d = 0
                continue;
            }

            // Scales are int8 against d = max_scale / −128: the extreme scale becomes −128.
            float iscale = -128f / maxScale;
            WriteHalf(y, 208, 1f / iscale);
            var yScales = y.Slice(192, 16);
            for (int j = 0; j < 16; j++) yScales[j] = (byte)(sbyte)Math.Min(127, NearestInt(iscale * scales[j]));

            float dAll = ReadHalf(y, 208);
            for (int j = 0; j < 16; j++)
            {
                float d = dAll * (sbyte)yScales[j];
                if (d == 0f) continue;
                for (int i = 0; i < 16; i++)
                    L[16 * j + i] = (sbyte)(Math.Max(-32, Math.Min(31, NearestInt(x[16 * j + i] / d))) + 32);
            }

            var ql = y[..128];
            var qh = y.Slice(128, 64);
            for (int h = 0; h < 2; h++)
                for (int l = 0; l < 32; l++)
                {
                    int e = 128 * h + l;
                    int q1 = L[e], q2 = L[e + 32], q3 = L[e + 64], q4 = L[e + 96];
                    ql[64 * h + l] = (byte)((q1 & 0xF) | ((q3 & 0xF) << 4));
                    ql[64 * h + 32 + l] = (byte)((q2 & 0xF) | ((q4 & 0xF) << 4));
                    qh[32 * h + l] = (byte)((q1 >> 4) | ((q2 >> 4) << 2) | ((q3 >> 4) << 4) | ((q4 >> 4) << 6));
                }
        }
    }

    private static void DequantizeQ6_K(ReadOnlySpan<byte> src, Span<float> dst, int blocks)
    {
        for (int b = 0; b < blocks; b++)
        {
            var x = src.Slice(b * 210, 210);
            var y = dst.Slice(b * SuperBlock, SuperBlock);
            float d = ReadHalf(x, 208);
            var ql = x[..128];
            var qh = x.Slice(128, 64);
            var sc = x.Slice(192, 16);
            for (int h = 0; h < 2; h++)
                for (int l = 0; l < 32; l++)
                {
                    int e = 128 * h + l;
                    int high = qh[32 * h + l];
                    int q1 = ((ql[64 * h + l] & 0xF) | ((high & 3) << 4)) - 32;
                    int q2 = ((ql[64 * h + 32 + l] & 0xF) | (((high >> 2) & 3) << 4)) - 32;
                    int q3 = ((ql[64 * h + l] >> 4) | (((high >> 4) & 3) << 4)) - 32;
                    int q4 = ((ql[64 * h + 32 + l] >> 4) | (((high >> 6) & 3) << 4)) - 32;
                    // (d · scale) · q, in that order, as ggml multiplies.
                    y[e] = d * (sbyte)sc[e / 16] * q1;
                    y[e + 32] = d * (sbyte)sc[(e + 32) / 16] * q2;
                    y[e + 64] = d * (sbyte)sc[(e + 64) / 16] * q3;
                    y[e + 96] = d * (sbyte)sc[(e + 96) / 16] * q4;
                }
        }
    }

    // =================================================================================================================
    // Q8_K: 292 bytes = f32 d | 256 int8 | 16 int16 sums of each 16 values (ggml's dot-product kernels use them).
    // x ≈ d · q with d = −m/127 for the signed value m of largest magnitude, so m itself becomes q = −127 and q stays
// within [−127, 127] (ggml chose 127 over 128 to keep its IQ2 kernels simple).
    // =================================================================================================================

    private static void QuantizeQ8_K(ReadOnlySpan<float> src, Span<byte> dst, int blocks)
    {
        for (int b = 0; b < blocks; b++)
        {
            var x = src.Slice(b * SuperBlock, SuperBlock);
            var y = dst.Slice(b * 292, 292);
            float max = SignedAbsMax(x);
            if (max == 0f)
            {
                // ggml writes d and the values but leaves the sums untouched; zeros are what a fresh buffer holds.
                y.Clear();
                continue;
            }
            float iscale = -127f / max;
            var qs = y.Slice(4, 256);
            for (int j = 0; j < SuperBlock; j++) qs[j] = (byte)(sbyte)Math.Min(127, NearestInt(iscale * x[j]));
            for (int j = 0; j < 16; j++)
            {
                int sum = 0;
                for (int i = 0; i < 16; i++) sum += (sbyte)qs[16 * j + i];
                BinaryPrimitives.WriteInt16LittleEndian(y[(260 + 2 * j)..], (short)sum);
            }
            BinaryPrimitives.WriteSingleLittleEndian(y, 1f / iscale);
        }
    }

    private static void DequantizeQ8_K(ReadOnlySpan<byte> src, Span<float> dst, int blocks)
    {
        for (int b = 0; b < blocks; b++)
        {
            var x = src.Slice(b * 292, 292);
            var y = dst.Slice(b * SuperBlock, SuperBlock);
            float d = BinaryPrimitives.ReadSingleLittleEndian(x);
            for (int j = 0; j < SuperBlock; j++) y[j] = d * (sbyte)x[4 + j];
        }
    }
}
