using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Sapling.Backends.Cpu;

/// <summary>
/// The integer GEMM for the 32-element formats with unsigned values: Q4_0 and Q5_0 (centred by −8, −16) and Q4_1 and
/// Q5_1 (a float minimum per block), read by the decoding kernels' own block readers (<see cref="BlockQuantKernels.ILegacyBytes"/>).
/// </summary>
/// <remarks>
/// The values (0–15 or 0–31) meet the signed activations in vpmaddubsw, summed in 16 bits over 8 or 4 groups of four
/// (8·2·15·127 and 4·2·31·127 stay inside 16 bits), widened by vpmaddwd. Per block: y += xs·d·(Σq·x + c·Σx) with the
/// centre c and the activations' integer block sum (Q8_0), or y += xs·d·Σq·x + m·s with the minimum m and the
/// activations' float block sum s (Q8_1), as ggml pairs them.
/// </remarks>
internal static unsafe partial class BlockQuantGemm
{
    private readonly struct Legacy<TBlock> : IGemmFormat where TBlock : BlockQuantKernels.ILegacyBytes
    {
        public static void DecodeRow(StoredMatrix w, int j, int r, int k, WeightGroup group) => DecodeRowLegacy<TBlock>(w, j, r, k, group);

        public static void Tile<THeight>(in PackedRows x, int t, WeightGroup group, int k, float* tile) where THeight : ITileHeight =>
            TileLegacy<TBlock, THeight>(x, t, group, k, tile);
    }

    /// <summary>Row j into slot r: values as bytes, d and the minimum per block (zeros for j = −1).</summary>
    private static void DecodeRowLegacy<TBlock>(StoredMatrix w, int j, int r, int k, WeightGroup group) where TBlock : BlockQuantKernels.ILegacyBytes
    {
        int blocks = k / 32;
        byte* values = group.Values + (long)r * k;
        float* scales = group.Scales + r * blocks, minimums = group.OffsetScales + r * blocks;
        if (j < 0)
        {
            new Span<byte>(values, k).Clear();
            new Span<float>(scales, blocks).Clear();
            new Span<float>(minimums, blocks).Clear();
            return;
        }
        byte* row = w.RowAddress(j);
        for (int b = 0; b < blocks; b++)
        {
            byte* block = row + b * TBlock.BlockBytes;
            TBlock.Values(block).Store(values + b * 32);
            scales[b] = BlockQuantKernels.Half(block);
            minimums[b] = TBlock.HasFloatOffset ? TBlock.FloatOffset(block) : 0f;
        }
    }

    /// <summary>
    /// Tile t of the activation rows against the group's four weight rows: tile[i, r] = x[32t + i, :]·W[r, :]. The
    /// values are summed in 16 bits four groups at a time (the 5-bit formats' limit; the 4-bit ones lose little by it).
    /// </summary>
    private static void TileLegacy<TBlock, THeight>(in PackedRows x, int t, WeightGroup group, int k, float* tile)
        where TBlock : BlockQuantKernels.ILegacyBytes where THeight : ITileHeight
    {
        int blocks = k / 32;
        byte* xv = x.Values + (long)t * TileRows * k;
        float* xs = x.Scales + (long)t * blocks * TileRows;
        int* xsums = x.SumPairs + (long)t * blocks * TileRows;
        byte* v0 = group.Values, v1 = v0 + k, v2 = v1 + k, v3 = v2 + k;
        float* d = group.Scales, mins = group.OffsetScales;
        var ones = Vector512.Create((short)1);
        Vector512<float> f00 = default, f01 = default, f02 = default, f03 = default, f10 = default, f11 = default, f12 = default, f13 = default;
        byte* xg = xv;
        for (int b = 0; b < blocks; b++)
        {
            Vector512<int> i00 = default, i01 = default, i02 = default, i03 = default, i10 = default, i11 = default, i12 = default, i13 = default;
            for (int half = 0; half < 2; half++)
            {
                Vector512<short> h00 = default, h01 = default, h02 = default, h03 = default, h10 = default, h11 = default, h12 = default, h13 = default;
                for (int g = 0, e = b * 32 + half * 16; g < 4; g++, xg += 2 * 64, e += 4)
                    GroupProducts<THeight>(xg, v0 + e, v1 + e, v2 + e, v3 + e, ref h00, ref h01, ref h02, ref h03, ref h10, ref h11, ref h12, ref h13);
                i00 += Avx512BW.MultiplyAddAdjacent(h00, ones);
                if (THeight.Both) i10 += Avx512BW.MultiplyAddAdjacent(h10, ones);
                i01 += Avx512BW.MultiplyAddAdjacent(h01, ones);
                if (THeight.Both) i11 += Avx512BW.MultiplyAddAdjacent(h11, ones);
                i02 += Avx512BW.MultiplyAddAdjacent(h02, ones);
                if (THeight.Both) i12 += Avx512BW.MultiplyAddAdjacent(h12, ones);
                i03 += Avx512BW.MultiplyAddAdjacent(h03, ones);
                if (THeight.Both) i13 += Avx512BW.MultiplyAddAdjacent(h13, ones);
            }
            var xs0 = Vector512.Load(xs + b * TileRows);
            var xs1 = THeight.Both ? Vector512.Load(xs + b * TileRows + 16) : default;
            if (TBlock.IntegerOffset != 0)
            {
                // The centre meets the activations' integer block sums: Σ(q + c)·x = Σq·x + c·Σx.
                var centre = Vector512.Create(TBlock.IntegerOffset);
                var c0 = Vector512.Load(xsums + b * TileRows) * centre;
                var c1 = THeight.Both ? Vector512.Load(xsums + b * TileRows + 16) * centre : default;
                (i00, i01, i02, i03) = (i00 + c0, i01 + c0, i02 + c0, i03 + c0);
                if (THeight.Both) (i10, i11, i12, i13) = (i10 + c1, i11 + c1, i12 + c1, i13 + c1);
            }
            f00 = Vector512.FusedMultiplyAdd(Avx512F.ConvertToVector512Single(i00), xs0 * Vector512.Create(d[b]), f00);
            if (THeight.Both) f10 = Vector512.FusedMultiplyAdd(Avx512F.ConvertToVector512Single(i10), xs1 * Vector512.Create(d[b]), f10);
            f01 = Vector512.FusedMultiplyAdd(Avx512F.ConvertToVector512Single(i01), xs0 * Vector512.Create(d[blocks + b]), f01);
            if (THeight.Both) f11 = Vector512.FusedMultiplyAdd(Avx512F.ConvertToVector512Single(i11), xs1 * Vector512.Create(d[blocks + b]), f11);
            f02 = Vector512.FusedMultiplyAdd(Avx512F.ConvertToVector512Single(i02), xs0 * Vector512.Create(d[2 * blocks + b]), f02);
            if (THeight.Both) f12 = Vector512.FusedMultiplyAdd(Avx512F.ConvertToVector512Single(i12), xs1 * Vector512.Create(d[2 * blocks + b]), f12);
            f03 = Vector512.FusedMultiplyAdd(Avx512F.ConvertToVector512Single(i03), xs0 * Vector512.Create(d[3 * blocks + b]), f03);
            if (THeight.Both) f13 = Vector512.FusedMultiplyAdd(Avx512F.ConvertToVector512Single(i13), xs1 * Vector512.Create(d[3 * blocks + b]), f13);
            if (TBlock.HasFloatOffset)
            {
                // The minimum meets the activations' float block sums.
                var s0 = Vector512.Load((float*)xsums + b * TileRows);
                var s1 = THeight.Both ? Vector512.Load((float*)xsums + b * TileRows + 16) : default;
                f00 = Vector512.FusedMultiplyAdd(s0, Vector512.Create(mins[b]), f00);
                if (THeight.Both) f10 = Vector512.FusedMultiplyAdd(s1, Vector512.Create(mins[b]), f10);
                f01 = Vector512.FusedMultiplyAdd(s0, Vector512.Create(mins[blocks + b]), f01);
                if (THeight.Both) f11 = Vector512.FusedMultiplyAdd(s1, Vector512.Create(mins[blocks + b]), f11);
                f02 = Vector512.FusedMultiplyAdd(s0, Vector512.Create(mins[2 * blocks + b]), f02);
                if (THeight.Both) f12 = Vector512.FusedMultiplyAdd(s1, Vector512.Create(mins[2 * blocks + b]), f12);
                f03 = Vector512.FusedMultiplyAdd(s0, Vector512.Create(mins[3 * blocks + b]), f03);
                if (THeight.Both) f13 = Vector512.FusedMultiplyAdd(s1, Vector512.Create(mins[3 * blocks + b]), f13);
            }
        }
        StoreRows(f00, f01, f02, f03, tile);
        if (THeight.Both) StoreRows(f10, f11, f12, f13, tile + 16 * GroupRows);
    }
}
