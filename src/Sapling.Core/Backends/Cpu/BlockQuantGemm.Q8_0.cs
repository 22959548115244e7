using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Sapling.Backends.Cpu;

/// <summary>
/// The integer GEMM for Q8_0 weights: signed bytes, which vpmaddubsw cannot take as they are (one operand must be
/// unsigned, and −127..127 times −127..127 overflows its 16-bit pair sums).
/// </summary>
/// <remarks>
/// Each weight w is split as 16·h + l, l = w &amp; 15 (0–15, unsigned) and h = w &gt;&gt; 4 (−8–7, signed). The low part
/// meets the signed activations as Q4_K's values do; the high part meets the activations made unsigned, x + 128
/// (x XOR 0x80), and the block's Σ128·h is taken off again: Σw·x = Σl·x + 16·(Σ(x + 128)·h − 128·Σh). Both pair sums
/// stay within 16 bits over a whole 32-element block (8·2·15·127 and 8·2·255·8), so each block costs two vpmaddwd
/// and one conversion per tile register. Twice the multiply-adds of a K-quant, and still about twice as fast as
/// widening the weights to float32 for the float GEMM.
/// </remarks>
internal static unsafe partial class BlockQuantGemm
{
    private readonly struct Q8_0Blocks : IGemmFormat
    {
        public static void DecodeRow(StoredMatrix w, int j, int r, int k, WeightGroup group) => DecodeRowQ8_0(w, j, r, k, group);

        public static void Tile<THeight>(in PackedRows x, int t, WeightGroup group, int k, float* tile) where THeight : ITileHeight =>
            TileQ8_0<THeight>(x, t, group, k, tile);
    }

    /// <summary>Row j of a Q8_0 W into slot r: low nibbles, signed high nibbles, d and 2048·Σh per block (zeros for j = −1).</summary>
    private static void DecodeRowQ8_0(StoredMatrix w, int j, int r, int k, WeightGroup group)
    {
        int blocks = k / 32;
        byte* low = group.Values + (long)r * k, high = group.High + (long)r * k;
        float* scales = group.Scales + r * blocks;
        int* corrections = group.OffsetPairs + r * blocks;
        if (j < 0)
        {
            new Span<byte>(low, k).Clear();
            new Span<byte>(high, k).Clear();
            new Span<float>(scales, blocks).Clear();
            new Span<int>(corrections, blocks).Clear();
            return;
        }
        byte* row = w.RowAddress(j);
        for (int b = 0; b < blocks; b++)
        {
            byte* block = row + b * 34;
            var q = Vector256.Load((sbyte*)(block + 2));
            (q.AsByte() & Vector256.Create((byte)0x0F)).Store(low + b * 32);
            // The high nibble unsigned (0–15), then signed: (u XOR 8) − 8.
            var u = Vector256.ShiftRightLogical(q.AsUInt16(), 4).AsByte() & Vector256.Create((byte)0x0F);
            var h = (u ^ Vector256.Create((byte)8)).AsSByte() - Vector256.Create((sbyte)8);
            h.Store((sbyte*)(high + b * 32));
            // Σ(x + 128)·h counts 128·Σh too much; the ×16 of the high part is in the scale that widens it.
            corrections[b] = 2048 * Vector256.Sum(Avx2.ConvertToVector256Int16(h.GetLower()) + Avx2.ConvertToVector256Int16(h.GetUpper()));
            scales[b] = BlockQuantKernels.Half(block);
        }
    }

    /// <summary>Tile t of the activation rows against the group's four Q8_0 weight rows: tile[i, r] = x[32t + i, :]·W[r, :].</summary>
    private static void TileQ8_0<THeight>(in PackedRows x, int t, WeightGroup group, int k, float* tile) where THeight : ITileHeight
    {
        int blocks = k / 32;
        byte* xv = x.Values + (long)t * TileRows * k;
        float* xs = x.Scales + (long)t * blocks * TileRows;
        byte* l0 = group.Values, l1 = l0 + k, l2 = l1 + k, l3 = l2 + k;
        byte* u0 = group.High, u1 = u0 + k, u2 = u1 + k, u3 = u2 + k;
        float* d = group.Scales;
        int* c = group.OffsetPairs;
        var flip = Vector512.Create((byte)0x80);
        var ones = Vector512.Create((short)1);
        var sixteens = Vector512.Create((short)16);
        Vector512<float> f00 = default, f01 = default, f02 = default, f03 = default, f10 = default, f11 = default, f12 = default, f13 = default;
        byte* xg = xv;
        for (int b = 0; b < blocks; b++)
        {
            // l: Σ l·x; h: Σ (x + 128)·h, both in 16 bits over the block.
            Vector512<short> l00 = default, l01 = default, l02 = default, l03 = default, l10 = default, l11 = default, l12 = default, l13 = default;
            Vector512<short> h00 = default, h01 = default, h02 = default, h03 = default, h10 = default, h11 = default, h12 = default, h13 = default;
            for (int g = 0, e = b * 32; g < 8; g++, xg += 2 * 64, e += 4)
            {
                var x0 = Vector512.Load(xg).AsSByte();
                var x1 = THeight.Both ? Vector512.Load(xg + 64).AsSByte() : default;
                var p0 = x0.AsByte() ^ flip;
                var p1 = THeight.Both ? x1.AsByte() ^ flip : default;
                var w = Vector512.Create(Unsafe.ReadUnaligned<int>(l0 + e)).AsByte();
                var v = Vector512.Create(Unsafe.ReadUnaligned<int>(u0 + e)).AsSByte();
                l00 += Avx512BW.MultiplyAddAdjacent(w, x0);
                if (THeight.Both) l10 += Avx512BW.MultiplyAddAdjacent(w, x1);
                h00 += Avx512BW.MultiplyAddAdjacent(p0, v);
                if (THeight.Both) h10 += Avx512BW.MultiplyAddAdjacent(p1, v);
                w = Vector512.Create(Unsafe.ReadUnaligned<int>(l1 + e)).AsByte();
                v = Vector512.Create(Unsafe.ReadUnaligned<int>(u1 + e)).AsSByte();
                l01 += Avx512BW.MultiplyAddAdjacent(w, x0);
                if (THeight.Both) l11 += Avx512BW.MultiplyAddAdjacent(w, x1);
                h01 += Avx512BW.MultiplyAddAdjacent(p0, v);
                if (THeight.Both) h11 += Avx512BW.MultiplyAddAdjacent(p1, v);
                w = Vector512.Create(Unsafe.ReadUnaligned<int>(l2 + e)).AsByte();
                v = Vector512.Create(Unsafe.ReadUnaligned<int>(u2 + e)).AsSByte();
                l02 += Avx512BW.MultiplyAddAdjacent(w, x0);
                if (THeight.Both) l12 += Avx512BW.MultiplyAddAdjacent(w, x1);
                h02 += Avx512BW.MultiplyAddAdjacent(p0, v);
                if (THeight.Both) h12 += Avx512BW.MultiplyAddAdjacent(p1, v);
                w = Vector512.Create(Unsafe.ReadUnaligned<int>(l3 + e)).AsByte();
                v = Vector512.Create(Unsafe.ReadUnaligned<int>(u3 + e)).AsSByte();
                l03 += Avx512BW.MultiplyAddAdjacent(w, x0);
                if (THeight.Both) l13 += Avx512BW.MultiplyAddAdjacent(w, x1);
                h03 += Avx512BW.MultiplyAddAdjacent(p0, v);
                if (THeight.Both) h13 += Avx512BW.MultiplyAddAdjacent(p1, v);
            }
            var xs0 = Vector512.Load(xs + b * TileRows);
            var xs1 = THeight.Both ? Vector512.Load(xs + b * TileRows + 16) : default;
            f00 = BlockQ8_0(f00, l00, h00, ones, sixteens, c[b], xs0, d[b]);
            if (THeight.Both) f10 = BlockQ8_0(f10, l10, h10, ones, sixteens, c[b], xs1, d[b]);
            f01 = BlockQ8_0(f01, l01, h01, ones, sixteens, c[blocks + b], xs0, d[blocks + b]);
            if (THeight.Both) f11 = BlockQ8_0(f11, l11, h11, ones, sixteens, c[blocks + b], xs1, d[blocks + b]);
            f02 = BlockQ8_0(f02, l02, h02, ones, sixteens, c[2 * blocks + b], xs0, d[2 * blocks + b]);
            if (THeight.Both) f12 = BlockQ8_0(f12, l12, h12, ones, sixteens, c[2 * blocks + b], xs1, d[2 * blocks + b]);
            f03 = BlockQ8_0(f03, l03, h03, ones, sixteens, c[3 * blocks + b], xs0, d[3 * blocks + b]);
            if (THeight.Both) f13 = BlockQ8_0(f13, l13, h13, ones, sixteens, c[3 * blocks + b], xs1, d[3 * blocks + b]);
        }
        StoreRows(f00, f01, f02, f03, tile);
        if (THeight.Both) StoreRows(f10, f11, f12, f13, tile + 16 * GroupRows);
    }

    /// <summary>One block for 16 activation rows: f + xs·d·(Σl·x + 16·Σ(x + 128)·h − 2048·Σh).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> BlockQ8_0(Vector512<float> f, Vector512<short> low, Vector512<short> high, Vector512<short> ones, Vector512<short> sixteens,
        int correction, Vector512<float> xs, float d)
    {
        var sums = Avx512BW.MultiplyAddAdjacent(low, ones) + Avx512BW.MultiplyAddAdjacent(high, sixteens) - Vector512.Create(correction);
        return Vector512.FusedMultiplyAdd(Avx512F.ConvertToVector512Single(sums), xs * Vector512.Create(d), f);
    }
}
