using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Sapling.Backends.Cpu;

/// <summary>
/// The parts of the integer decoding path that are 512-bit elsewhere, in AVX2 (with FMA): the activation quantisers,
/// Q8_0's 16-bit products and the float32 decoders of the panels. Same arithmetic, so the same integers and scales;
/// float32 sums may associate differently.
/// </summary>
internal static unsafe partial class BlockQuantKernels
{
    /// <summary><see cref="QuantizeBlock"/> eight lanes at a time.</summary>
    private static void QuantizeBlockAvx2(float* x, short* q, out float scale, out float sum, bool roundSum)
    {
        var v0 = Vector256.Load(x);
        var v1 = Vector256.Load(x + 8);
        var v2 = Vector256.Load(x + 16);
        var v3 = Vector256.Load(x + 24);
        float amax = MaxAcross(Vector256.Max(Vector256.Max(Vector256.Abs(v0), Vector256.Abs(v1)), Vector256.Max(Vector256.Abs(v2), Vector256.Abs(v3))));
        float d = amax / 127f;
        var iv = Vector256.Create(amax != 0f ? 127f / amax : 0f);
        var q0 = Avx.ConvertToVector256Int32(v0 * iv);
        var q1 = Avx.ConvertToVector256Int32(v1 * iv);
        var q2 = Avx.ConvertToVector256Int32(v2 * iv);
        var q3 = Avx.ConvertToVector256Int32(v3 * iv);
        StoreShorts(q0, q1, q);
        StoreShorts(q2, q3, q + 16);
        scale = (float)(System.Half)d;
        int total = Vector256.Sum(q0 + q1 + q2 + q3);
        sum = roundSum ? (float)(System.Half)(d * total) : scale * total;
    }

    /// <summary><see cref="QuantizeSuperBlock"/> eight lanes at a time.</summary>
    private static void QuantizeSuperBlockAvx2(float* x, short* q, float* scales, float* sums)
    {
        if (!SuperBlockExtreme(x, q, scales, sums, out float max)) return;
        float iscale = -127f / max, d = 1f / iscale;
        var iv = Vector256.Create(iscale);
        var limit = Vector256.Create(127);
        for (int p = 0; p < 8; p++)
        {
            float* piece = x + p * 32;
            var q0 = Vector256.Min(Avx.ConvertToVector256Int32(Vector256.Load(piece) * iv), limit);
            var q1 = Vector256.Min(Avx.ConvertToVector256Int32(Vector256.Load(piece + 8) * iv), limit);
            var q2 = Vector256.Min(Avx.ConvertToVector256Int32(Vector256.Load(piece + 16) * iv), limit);
            var q3 = Vector256.Min(Avx.ConvertToVector256Int32(Vector256.Load(piece + 24) * iv), limit);
            StoreShorts(q0, q1, q + p * 32);
            StoreShorts(q2, q3, q + p * 32 + 16);
            scales[p] = d;
            sums[p] = d * Vector256.Sum(q0 + q1 + q2 + q3);
        }
    }

    /// <summary>Sixteen int32 (within ±127) as int16, in order: the pack works within 128-bit halves, the permutation restores the order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreShorts(Vector256<int> a, Vector256<int> b, short* destination) =>
        Avx2.Permute4x64(Avx2.PackSignedSaturate(a, b).AsInt64(), 0b11_01_10_00).AsInt16().Store(destination);

    private static float MaxAcross(Vector256<float> v)
    {
        var m128 = Vector128.Max(v.GetLower(), v.GetUpper());
        float r = m128[0];
        for (int i = 1; i < 4; i++) r = MathF.Max(r, m128[i]);
        return r;
    }

    /// <summary>A Q8_0 row as float32, eight values at a time: w = d·q.</summary>
    private static void DecodeQ8_0RowAvx2(StoredMatrix w, int r, float* destination)
    {
        byte* row = w.RowAddress(r);
        for (int p = 0; p < w.Cols / 32; p++)
        {
            var scale = Vector256.Create(Half(row + p * 34));
            sbyte* values = (sbyte*)(row + p * 34 + 2);
            for (int e = 0; e < 32; e += 8)
                (Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32(values + e)) * scale).Store(destination + p * 32 + e);
        }
    }

    /// <summary><see cref="StoreSixteen"/> in two halves of eight.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreSixteenAvx2(Vector128<byte> q, float scale, float offset, float* destination)
    {
        var s = Vector256.Create(scale);
        var o = Vector256.Create(offset);
        Vector256.FusedMultiplyAdd(Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32(q)), s, o).Store(destination);
        Vector256.FusedMultiplyAdd(Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32(Sse2.ShiftRightLogical128BitLane(q, 8))), s, o).Store(destination + 8);
    }

    /// <summary>
    /// Q8_0 rows with 16-bit products, as <see cref="Stream{TDecoder}"/>: the weight's bytes widened to 16 bits, pairs
    /// multiplied and added with the activations' 16-bit values (vpmaddwd), each piece converted and scaled by d·xs.
    /// </summary>
    private static void StreamQ8_0Avx2(in QuantizedRows x, StoredMatrix w, float* y, bool accumulate, int j0, int j1)
    {
        int pieces = x.Cols / 32, m = x.Rows, ldy = w.Rows;
        short* q0 = x.Values, q1 = q0 + x.Cols, q2 = q1 + x.Cols, q3 = q2 + x.Cols;
        float* s0 = x.Scales, s1 = s0 + pieces, s2 = s1 + pieces, s3 = s2 + pieces;
        for (int j = j0; j < j1; j++)
        {
            byte* row = w.RowAddress(j);
            Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
            for (int p = 0; p < pieces; p++)
            {
                sbyte* values = (sbyte*)(row + p * 34 + 2);
                var lo = Avx2.ConvertToVector256Int16(values);
                var hi = Avx2.ConvertToVector256Int16(values + 16);
                float scale = Half(row + p * 34);
                int e = p * 32;
                a0 = Vector256.FusedMultiplyAdd(Dot(lo, hi, q0 + e), Vector256.Create(scale * s0[p]), a0);
                if (m == 1) continue;
                a1 = Vector256.FusedMultiplyAdd(Dot(lo, hi, q1 + e), Vector256.Create(scale * s1[p]), a1);
                if (m == 2) continue;
                a2 = Vector256.FusedMultiplyAdd(Dot(lo, hi, q2 + e), Vector256.Create(scale * s2[p]), a2);
                if (m == 3) continue;
                a3 = Vector256.FusedMultiplyAdd(Dot(lo, hi, q3 + e), Vector256.Create(scale * s3[p]), a3);
            }
            Store(y, ldy, 0, j, Vector256.Sum(a0), accumulate);
            if (m > 1) Store(y, ldy, 1, j, Vector256.Sum(a1), accumulate);
            if (m > 2) Store(y, ldy, 2, j, Vector256.Sum(a2), accumulate);
            if (m > 3) Store(y, ldy, 3, j, Vector256.Sum(a3), accumulate);
        }
    }

    /// <summary>
    /// For Q6_K piece p, scale 2p in lanes 0–7 and 2p + 1 in lanes 8–15 without a cross-lane word permutation: both
    /// scales sit in the same 128-bit half (p / 4), which is copied to both halves and then byte-shuffled.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<short> Q6PieceScalesAvx2(Vector256<short> blockScales, int p)
    {
        var half = (p < 4 ? Avx2.Permute4x64(blockScales.AsInt64(), 0b01_00_01_00) : Avx2.Permute4x64(blockScales.AsInt64(), 0b11_10_11_10)).AsByte();
        return Avx2.Shuffle(half, Q6PieceShuffle[p]).AsInt16();
    }

    /// <summary>Byte shuffles for <see cref="Q6PieceScalesAvx2"/>: word 2p mod 8 across the low half, 2p + 1 mod 8 across the high half.</summary>
    private static readonly Vector256<byte>[] Q6PieceShuffle = Enumerable.Range(0, 8)
        .Select(p => Vector256.Create(Enumerable.Range(0, 32).Select(i => (byte)(2 * ((2 * p + (i >> 4)) & 7) + (i & 1))).ToArray())).ToArray();

    /// <summary>Σ of a 32-element piece's 16-bit products in eight int32 lanes, as float32.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Dot(Vector256<short> lo, Vector256<short> hi, short* x) =>
        Avx.ConvertToVector256Single(Avx2.MultiplyAddAdjacent(lo, Vector256.Load(x)) + Avx2.MultiplyAddAdjacent(hi, Vector256.Load(x + 16)));
}
