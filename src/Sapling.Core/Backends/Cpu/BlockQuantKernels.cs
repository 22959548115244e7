using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Sapling.Quantization.Ggml;

namespace Sapling.Backends.Cpu;

/// <summary>
/// Decoding with ggml's block-quantised weights (Q8_0, Q4_0, Q4_K, Q6_K, ...): y = x·Wᵀ for a few activation rows,
/// the weights read once, in their blocks, straight from the file's mapping.
/// </summary>
/// <remarks>
/// Each activation row is first quantised to integers in [−127, 127] as llama.cpp quantises it for the weight type
/// (Q8_0, Q8_1 or Q8_K, see <see cref="Quantize"/>), with the float sum of each 32-element piece and the integer sum of
/// each 16. Q8_0 rows are widened to 16 bits and multiplied in 16-bit pairs (<see cref="IBlockDecoder"/>); the 4/5-bit
/// formats (<see cref="ILegacyBytes"/>) and the K-quants (<see cref="IKBytes"/>) keep their values in unsigned bytes
/// and multiply them by the int8 activations directly (vpmaddubsw), their centring or minimums meeting the
/// activations' sums. The same decoders turn rows into float32 for the panels of many-row products
/// (<see cref="DecodeRow"/>). Rows of W are split across the workers by the caller. AVX-512BW, or AVX2 with FMA
/// (<c>BlockQuantKernels.Avx2.cs</c>: the activation quantisers, Q8_0's 16-bit products and the float32 decoders at
/// half the width; the 8-bit kernels are 256-bit on both); elsewhere (and for Q2_K, Q3_K) rows are decoded to float32
/// with <see cref="GgmlBlocks.Dequantize"/> and dotted in float32.
/// </remarks>
internal static unsafe partial class BlockQuantKernels
{
    /// <summary>Activation rows as the integer kernel reads them.</summary>
    public readonly struct QuantizedRows(short* values, sbyte* bytes, short* blockSums, float* scales, float* sums, int rows, int cols)
    {
        public readonly short* Values = values;   // [rows, cols]
        public readonly sbyte* Bytes = bytes;     // [rows, cols]: the same values as int8 (K-quants only)
        public readonly short* BlockSums = blockSums; // [rows, cols / 16]: sums of 16 values (K-quants only)
        public readonly float* Scales = scales;   // [rows, cols / 32]
        public readonly float* Sums = sums;       // [rows, cols / 32]
        public readonly int Rows = rows;
        public readonly int Cols = cols;

        /// <summary>Rows r0 .. r0 + count of these.</summary>
        public QuantizedRows Slice(int r0, int count) => new(
            Values + (long)r0 * Cols, Bytes == null ? null : Bytes + (long)r0 * Cols, BlockSums == null ? null : BlockSums + (long)r0 * (Cols / 16),
            Scales + (long)r0 * (Cols / 32), Sums + (long)r0 * (Cols / 32), count, Cols);
    }

    [ThreadStatic] private static short[]? t_values;
    [ThreadStatic] private static sbyte[]? t_bytes;
    [ThreadStatic] private static float[]? t_scales;

    /// <summary>Whether <paramref name="dtype"/> has an integer decoding kernel on this machine.</summary>
    public static bool HasIntegerKernel(DType dtype) => (Avx512BW.IsSupported || Avx2.IsSupported && Fma.IsSupported)
        && dtype is DType.Q8_0 or DType.Q4_0 or DType.Q4_1 or DType.Q5_0 or DType.Q5_1 or DType.Q4_K or DType.Q5_K or DType.Q6_K;

    /// <summary>Tests take the AVX2 path on an AVX-512 machine with this (set inside the SIMD-width test collection only).</summary>
    internal static bool ForceAvx2 { get; set; }

    /// <summary>Whether the 512-bit quantisers, Q8_0 products and decoders run (else their AVX2 forms).</summary>
    private static bool Wide => Avx512BW.IsSupported && !ForceAvx2;

    /// <summary>Whether the K-quants' products run 64 elements at a time (<c>BlockQuantKernels.Avx512.cs</c>), else 32.</summary>
    private static bool WideK => Wide && Avx512DQ.IsSupported;

    /// <summary>
    /// Quantises <paramref name="m"/> rows of x [m, k] into this thread's buffers (valid until the thread quantises
    /// again), in the form ggml pairs with <paramref name="weights"/>: Q8_0's (a float16 scale per 32 elements) for the
    /// 32-element types, Q8_1's for those with an offset (the block sum rounded to float16 as well), Q8_K's (one float
    /// scale per 256) for the K-quants — so products round as llama.cpp's do. k is a multiple of the block size.
    /// </summary>
    public static QuantizedRows Quantize(float* x, int m, int k, DType weights)
    {
        int blocks = k / 32;
        if (t_values == null || t_values.Length < m * k) t_values = GC.AllocateUninitializedArray<short>(Math.Max(m * k, 4096), pinned: true);
        if (t_scales == null || t_scales.Length < 2 * m * blocks) t_scales = GC.AllocateUninitializedArray<float>(Math.Max(2 * m * blocks, 256), pinned: true);
        short* values = (short*)Unsafe.AsPointer(ref t_values[0]);
        float* scales = (float*)Unsafe.AsPointer(ref t_scales[0]);
        float* sums = scales + m * blocks;
        if (weights.ToGgml().BlockSize() == 256)
        {
            // The K kernels read int8 values and sums of 16 (the 16-bit values stay for the panel decoders' callers).
            sbyte* bytes = ByteRows(m * k);
            short* blockSums = (short*)(bytes + m * k);
            bool wide = Wide;
            for (int b = 0; b < m * blocks; b += 8)
            {
                if (wide) QuantizeSuperBlock(x + b * 32, values + b * 32, scales + b, sums + b);
                else QuantizeSuperBlockAvx2(x + b * 32, values + b * 32, scales + b, sums + b);
            }
            NarrowToBytes(values, bytes, blockSums, m * k, wide);
            return new QuantizedRows(values, bytes, blockSums, scales, sums, m, k);
        }
        else
        {
            bool roundSum = weights is DType.Q4_1 or DType.Q5_1, wide = Wide;
            for (int b = 0; b < m * blocks; b++)
            {
                if (wide) QuantizeBlock(x + b * 32, values + b * 32, out scales[b], out sums[b], roundSum);
                else QuantizeBlockAvx2(x + b * 32, values + b * 32, out scales[b], out sums[b], roundSum);
            }
        }
        // The 8-bit kernels read the values as int8, and their sums of 16 (for the integer offsets).
        sbyte* int8 = ByteRows(m * k);
        short* sums16 = (short*)(int8 + m * k);
        NarrowToBytes(values, int8, sums16, m * k, Wide);
        return new QuantizedRows(values, int8, sums16, scales, sums, m, k);
    }

    /// <summary>
    /// This thread's buffer for <paramref name="count"/> int8 values and their sums of 16 (count / 8 bytes after them),
    /// aligned to 64 bytes: the 512-bit kernels load 64 activations at a time, and an unaligned buffer split every
    /// load across two cache lines.
    /// </summary>
    private static sbyte* ByteRows(int count)
    {
        int needed = checked(count + count / 8 + 64);
        if (t_bytes == null || t_bytes.Length < needed) t_bytes = GC.AllocateUninitializedArray<sbyte>(Math.Max(needed, 4096), pinned: true);
        nint at = (nint)Unsafe.AsPointer(ref t_bytes[0]);
        return (sbyte*)((at + 63) & ~(nint)63);
    }

    /// <summary>The 16-bit values as int8 (they are within ±127), and the sum of every 16.</summary>
    private static void NarrowToBytes(short* values, sbyte* bytes, short* sums16, int count, bool wide)
    {
        for (int i = 0; i < count; i += 32)
        {
            if (wide)
            {
                var v = Vector512.Load(values + i);
                Avx512BW.ConvertToVector256SByte(v).Store(bytes + i);
                sums16[i / 16] = (short)Vector256.Sum(v.GetLower());
                sums16[i / 16 + 1] = (short)Vector256.Sum(v.GetUpper());
                continue;
            }
            var lo = Vector256.Load(values + i);
            var hi = Vector256.Load(values + i + 16);
            // Saturating packs work within 128-bit halves; the permutation puts the four quarters back in order.
            Avx2.Permute4x64(Avx2.PackSignedSaturate(lo, hi).AsInt64(), 0b11_01_10_00).AsSByte().Store(bytes + i);
            sums16[i / 16] = (short)Vector256.Sum(lo);
            sums16[i / 16 + 1] = (short)Vector256.Sum(hi);
        }
    }

    /// <summary>ggml's vectorised Q8_0 (Q8_1) quantiser: d = amax/127 kept as float16, q = round(x·127/amax) to nearest even.</summary>
    private static void QuantizeBlock(float* x, short* q, out float scale, out float sum, bool roundSum)
    {
        var lo = Vector512.Load(x);
        var hi = Vector512.Load(x + 16);
        float amax = MaxAcross(Vector512.Max(Vector512.Abs(lo), Vector512.Abs(hi)));
        float d = amax / 127f;
        var iv = Vector512.Create(amax != 0f ? 127f / amax : 0f);
        var qlo = Avx512F.ConvertToVector512Int32(lo * iv);
        var qhi = Avx512F.ConvertToVector512Int32(hi * iv);
        Avx512F.ConvertToVector256Int16(qlo).Store(q);
        Avx512F.ConvertToVector256Int16(qhi).Store(q + 16);
        scale = (float)(System.Half)d;
        int total = Vector512.Sum(qlo + qhi);
        sum = roundSum ? (float)(System.Half)(d * total) : scale * total;
    }

    /// <summary>
    /// ggml's Q8_K quantiser for 256 elements: the element of largest magnitude (signed) sets iscale = −127/max,
    /// q = min(127, round(iscale·x)), d = 1/iscale; the scale is repeated for the eight 32-element pieces.
    /// </summary>
    private static void QuantizeSuperBlock(float* x, short* q, float* scales, float* sums)
    {
        if (!SuperBlockExtreme(x, q, scales, sums, out float max)) return;
        float iscale = -127f / max, d = 1f / iscale;
        var iv = Vector512.Create(iscale);
        var limit = Vector512.Create(127);
        for (int p = 0; p < 8; p++)
        {
            var qlo = Vector512.Min(Avx512F.ConvertToVector512Int32(Vector512.Load(x + p * 32) * iv), limit);
            var qhi = Vector512.Min(Avx512F.ConvertToVector512Int32(Vector512.Load(x + p * 32 + 16) * iv), limit);
            Avx512F.ConvertToVector256Int16(qlo).Store(q + p * 32);
            Avx512F.ConvertToVector256Int16(qhi).Store(q + p * 32 + 16);
            scales[p] = d;
            sums[p] = d * Vector512.Sum(qlo + qhi);
        }
    }

    /// <summary>
    /// The element of largest magnitude of 256 (signed, the first of equals), which sets Q8_K's scale; false, with the
    /// block's values, scales and sums cleared, when all are zero.
    /// </summary>
    private static bool SuperBlockExtreme(float* x, short* q, float* scales, float* sums, out float max)
    {
        float amax = 0f;
        max = 0f;
        if (Avx512F.IsSupported)
        {
            // The largest magnitude, then the first element that has it. vmaxps returns its second operand when the
            // first is NaN, so NaNs are passed over as the scalar comparison passes over them.
            var most = Vector512<float>.Zero;
            for (int j = 0; j < 256; j += 16) most = Avx512F.Max(Vector512.Abs(Vector512.Load(x + j)), most);
            amax = MaxAcross(most);
            if (amax != 0f)
            {
                var target = Vector512.Create(amax);
                for (int j = 0; j < 256; j += 16)
                {
                    ulong hits = Vector512.Equals(Vector512.Abs(Vector512.Load(x + j)), target).ExtractMostSignificantBits();
                    if (hits == 0) continue;
                    max = x[j + System.Numerics.BitOperations.TrailingZeroCount(hits)];
                    return true;
                }
            }
        }
        else
        {
            for (int j = 0; j < 256; j++)
            {
                float ax = MathF.Abs(x[j]);
                if (ax > amax)
                {
                    amax = ax;
                    max = x[j];
                }
            }
            if (amax != 0f) return true;
        }
        new Span<short>(q, 256).Clear();
        new Span<float>(scales, 8).Clear();
        new Span<float>(sums, 8).Clear();
        return false;
    }

    private static float MaxAcross(Vector512<float> v)
    {
        var m256 = Vector256.Max(v.GetLower(), v.GetUpper());
        var m128 = Vector128.Max(m256.GetLower(), m256.GetUpper());
        float r = m128[0];
        for (int i = 1; i < 4; i++) r = MathF.Max(r, m128[i]);
        return r;
    }

    /// <summary>
    /// Row r of a block-quantised W decoded to float32 with the same decoders (for the panels of many-row products):
    /// each piece's 16-bit values widened, times its scale, plus its offset. Equal to ggml's dequantisation up to the
    /// rounding of d·(sc·q) against (d·sc)·q.
    /// </summary>
    public static void DecodeRow(StoredMatrix w, int r, float* destination)
    {
        switch (w.DType)
        {
            case DType.Q8_0 when !Wide: DecodeQ8_0RowAvx2(w, r, destination); break;
            case DType.Q8_0: DecodeRow<Q8_0Decoder>(w, r, destination); break;
            case DType.Q4_0: DecodeLegacyRow<Q4_0Bytes>(w, r, destination); break;
            case DType.Q4_1: DecodeLegacyRow<Q4_1Bytes>(w, r, destination); break;
            case DType.Q5_0: DecodeLegacyRow<Q5_0Bytes>(w, r, destination); break;
            case DType.Q5_1: DecodeLegacyRow<Q5_1Bytes>(w, r, destination); break;
            case DType.Q4_K: DecodeKRow<Q4_KBytes>(w, r, destination); break;
            case DType.Q5_K: DecodeKRow<Q5_KBytes>(w, r, destination); break;
            case DType.Q6_K: DecodeKRow<Q6_KBytes>(w, r, destination); break;
            default: throw new NotSupportedException($"no integer decoder for {w.DType.Name()}");
        }
    }

    private static void DecodeRow<TDecoder>(StoredMatrix w, int r, float* destination) where TDecoder : IBlockDecoder
    {
        byte* row = w.RowAddress(r);
        int pieces = w.Cols / 32;
        for (int p = 0; p < pieces; p++)
        {
            var q = TDecoder.Values(row, p);
            var scale = Vector512.Create(TDecoder.Scale(row, p));
            var offset = Vector512.Create(TDecoder.HasOffset ? TDecoder.Offset(row, p) : 0f);
            var (lo, hi) = Vector512.Widen(q);
            Vector512.FusedMultiplyAdd(Avx512F.ConvertToVector512Single(lo), scale, offset).Store(destination + p * 32);
            Vector512.FusedMultiplyAdd(Avx512F.ConvertToVector512Single(hi), scale, offset).Store(destination + p * 32 + 16);
        }
    }

    /// <summary>
    /// A 4/5-bit row through the 8-bit decoders: w = d·q + offset, the integer centring (−8d, −16d) or the stored
    /// minimum. With the centring the fused multiply-add rounds once, as ggml's (q − 8)·d does.
    /// </summary>
    private static void DecodeLegacyRow<TDecoder>(StoredMatrix w, int r, float* destination) where TDecoder : ILegacyBytes
    {
        byte* row = w.RowAddress(r);
        for (int p = 0; p < w.Cols / 32; p++)
        {
            byte* block = row + p * TDecoder.BlockBytes;
            float d = Half(block);
            float offset = TDecoder.HasFloatOffset ? TDecoder.FloatOffset(block) : TDecoder.IntegerOffset * d;
            StoreSixteen(TDecoder.Values(block).GetLower(), d, offset, destination + p * 32);
            StoreSixteen(TDecoder.Values(block).GetUpper(), d, offset, destination + p * 32 + 16);
        }
    }

    /// <summary>
    /// A K-quant row through the 8-bit decoders: every 16 elements share a scale s and an offset weight o (Q4_K/Q5_K:
    /// sub-block scale and minimum; Q6_K: scale and 32·scale), w = d·s·q − dmin·o.
    /// </summary>
    private static void DecodeKRow<TDecoder>(StoredMatrix w, int r, float* destination) where TDecoder : IKBytes
    {
        byte* row = w.RowAddress(r);
        short* scales = stackalloc short[16];
        short* offsets = stackalloc short[16];
        for (int b = 0; b < w.Cols / 256; b++)
        {
            byte* block = row + b * TDecoder.BlockBytes;
            var blockScales = TDecoder.BlockScales(block, out var offsetWeights);
            offsetWeights.Store(offsets);
            float d = TDecoder.Scale(block), dmin = TDecoder.OffsetScale(block);
            for (int c = 0; c < 4; c++)
            {
                TDecoder.Pair(block, c, out var qa, out var qb, out int pa, out int pb);
                DecodePiece(qa, TDecoder.PieceScales(blockScales, pa), scales, offsets + 2 * pa, d, dmin, destination + b * 256 + pa * 32);
                DecodePiece(qb, TDecoder.PieceScales(blockScales, pb), scales, offsets + 2 * pb, d, dmin, destination + b * 256 + pb * 32);
            }
        }
    }

    /// <summary>One K-quant piece: lane l of its scales multiplies elements 2l and 2l + 1, so lanes 0 and 8 hold its two halves'.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void DecodePiece(Vector256<byte> q, Vector256<short> pieceScales, short* scales, short* offsets, float d, float dmin, float* destination)
    {
        pieceScales.Store(scales);
        StoreSixteen(q.GetLower(), d * scales[0], -dmin * offsets[0], destination);
        StoreSixteen(q.GetUpper(), d * scales[8], -dmin * offsets[1], destination + 16);
    }

    /// <summary>Sixteen unsigned bytes as float32: q·scale + offset (one rounding).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreSixteen(Vector128<byte> q, float scale, float offset, float* destination)
    {
        if (Wide)
        {
            Vector512.FusedMultiplyAdd(Avx512F.ConvertToVector512Single(Avx512F.ConvertToVector512Int32(q)), Vector512.Create(scale), Vector512.Create(offset)).Store(destination);
            return;
        }
        StoreSixteenAvx2(q, scale, offset, destination);
    }

    /// <summary>y[i, j] (+)= x[i, :]·W[j, :] for rows j0 .. j1 of a block-quantised W and every quantised activation row.</summary>
    public static void StreamRange(in QuantizedRows x, StoredMatrix w, float* y, bool accumulate, int j0, int j1)
    {
        if (x.Rows <= 4)
        {
            StreamRows(x, w, y, accumulate, j0, j1);
            return;
        }
        // More activation rows (a batch of decoding sequences): four at a time over a tile of weight rows small
        // enough to stay in cache, so the weights come from memory once.
        const int Tile = 16;
        for (int t0 = j0; t0 < j1; t0 += Tile)
        {
            int t1 = Math.Min(j1, t0 + Tile);
            for (int r0 = 0; r0 < x.Rows; r0 += 4)
                StreamRows(x.Slice(r0, Math.Min(4, x.Rows - r0)), w, y + (long)r0 * w.Rows, accumulate, t0, t1);
        }
    }

    private static void StreamRows(in QuantizedRows x, StoredMatrix w, float* y, bool accumulate, int j0, int j1)
    {
        switch (w.DType)
        {
            case DType.Q8_0 when !Wide: StreamQ8_0Avx2(x, w, y, accumulate, j0, j1); break;
            case DType.Q8_0: Stream<Q8_0Decoder>(x, w, y, accumulate, j0, j1); break;
            case DType.Q4_0: StreamLegacy<Q4_0Bytes>(x, w, y, accumulate, j0, j1); break;
            case DType.Q4_1: StreamLegacy<Q4_1Bytes>(x, w, y, accumulate, j0, j1); break;
            case DType.Q5_0: StreamLegacy<Q5_0Bytes>(x, w, y, accumulate, j0, j1); break;
            case DType.Q5_1: StreamLegacy<Q5_1Bytes>(x, w, y, accumulate, j0, j1); break;
            case DType.Q4_K when WideK: StreamKWide<Q4_KWide>(x, w, y, accumulate, j0, j1); break;
            case DType.Q5_K when WideK: StreamKWide<Q5_KWide>(x, w, y, accumulate, j0, j1); break;
            case DType.Q6_K when WideK: StreamKWide<Q6_KWide>(x, w, y, accumulate, j0, j1); break;
            case DType.Q4_K: StreamK<Q4_KBytes>(x, w, y, accumulate, j0, j1); break;
            case DType.Q5_K: StreamK<Q5_KBytes>(x, w, y, accumulate, j0, j1); break;
            case DType.Q6_K: StreamK<Q6_KBytes>(x, w, y, accumulate, j0, j1); break;
            default: throw new NotSupportedException($"no integer kernel for {w.DType.Name()}");
        }
    }

    /// <summary>
    /// The K-quants with 8-bit products: each 32-element piece's unsigned weight values (0–15, 0–31 or 0–63) meet the
    /// int8 activations in one u8×s8 multiply-add of adjacent pairs (vpmaddubsw), and the sub-block scales in a
    /// second multiply-add of 16-bit pairs, summed in int32 over the whole super-block; only then converted and scaled
    /// by d and the activations' Q8_K scale (one per 256). Offsets (−dmin·m, or Q6_K's −32) meet the activations'
    /// sums of 16 as integers.
    /// </summary>
    private static void StreamK<TDecoder>(in QuantizedRows x, StoredMatrix w, float* y, bool accumulate, int j0, int j1)
        where TDecoder : IKBytes
    {
        int k = x.Cols, blocks = k / 256, m = x.Rows, ldy = w.Rows;
        sbyte* x0 = x.Bytes, x1 = x0 + k, x2 = x1 + k, x3 = x2 + k;
        short* b0 = x.BlockSums, b1 = b0 + k / 16, b2 = b1 + k / 16, b3 = b2 + k / 16;
        float* s0 = x.Scales, s1 = s0 + k / 32, s2 = s1 + k / 32, s3 = s2 + k / 32;
        for (int j = j0; j < j1; j++)
        {
            byte* row = w.RowAddress(j);
            Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
            for (int b = 0; b < blocks; b++)
            {
                byte* block = row + b * TDecoder.BlockBytes;
                var blockScales = TDecoder.BlockScales(block, out var offsetWeights);
                Vector256<int> i0 = default, i1 = default, i2 = default, i3 = default;
                int e = b * 256;
                // The four pairs written out (two pieces each, sharing their loads: low and high nibbles of the same
                // bytes), so every piece's scale shuffle has a constant index: 17% faster decoding than a loop over c.
                PairProducts<TDecoder>(block, 0, blockScales, x0 + e, x1 + e, x2 + e, x3 + e, m, ref i0, ref i1, ref i2, ref i3);
                PairProducts<TDecoder>(block, 1, blockScales, x0 + e, x1 + e, x2 + e, x3 + e, m, ref i0, ref i1, ref i2, ref i3);
                PairProducts<TDecoder>(block, 2, blockScales, x0 + e, x1 + e, x2 + e, x3 + e, m, ref i0, ref i1, ref i2, ref i3);
                PairProducts<TDecoder>(block, 3, blockScales, x0 + e, x1 + e, x2 + e, x3 + e, m, ref i0, ref i1, ref i2, ref i3);
                float d = TDecoder.Scale(block), dmin = TDecoder.OffsetScale(block);
                int piece = b * 8, sums = b * 16;
                // i is Σ sc·q·x and the offsets' weights meet the sums of 16: y += xs·(d·Σi − dmin·Σ weight·sum).
                a0 += KBlock(i0, Avx2.MultiplyAddAdjacent(Vector256.Load(b0 + sums), offsetWeights), d, dmin, s0[piece]);
                if (m == 1) continue;
                a1 += KBlock(i1, Avx2.MultiplyAddAdjacent(Vector256.Load(b1 + sums), offsetWeights), d, dmin, s1[piece]);
                if (m == 2) continue;
                a2 += KBlock(i2, Avx2.MultiplyAddAdjacent(Vector256.Load(b2 + sums), offsetWeights), d, dmin, s2[piece]);
                if (m == 3) continue;
                a3 += KBlock(i3, Avx2.MultiplyAddAdjacent(Vector256.Load(b3 + sums), offsetWeights), d, dmin, s3[piece]);
            }
            Store(y, ldy, 0, j, Vector256.Sum(a0), accumulate);
            if (m > 1) Store(y, ldy, 1, j, Vector256.Sum(a1), accumulate);
            if (m > 2) Store(y, ldy, 2, j, Vector256.Sum(a2), accumulate);
            if (m > 3) Store(y, ldy, 3, j, Vector256.Sum(a3), accumulate);
        }
    }

    /// <summary>Adds Σ sc·q·x of pair c of a super-block (two 32-element pieces) to each activation row's eight int32 lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PairProducts<TDecoder>(byte* block, int c, Vector256<short> blockScales, sbyte* x0, sbyte* x1, sbyte* x2, sbyte* x3, int m,
        ref Vector256<int> i0, ref Vector256<int> i1, ref Vector256<int> i2, ref Vector256<int> i3) where TDecoder : IKBytes
    {
        TDecoder.Pair(block, c, out var qa, out var qb, out int pa, out int pb);
        var sa = TDecoder.PieceScales(blockScales, pa);
        var sb = TDecoder.PieceScales(blockScales, pb);
        int ea = pa * 32, eb = pb * 32;
        i0 += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(qa, Vector256.Load(x0 + ea)), sa)
            + Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(qb, Vector256.Load(x0 + eb)), sb);
        if (m == 1) return;
        i1 += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(qa, Vector256.Load(x1 + ea)), sa)
            + Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(qb, Vector256.Load(x1 + eb)), sb);
        if (m == 2) return;
        i2 += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(qa, Vector256.Load(x2 + ea)), sa)
            + Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(qb, Vector256.Load(x2 + eb)), sb);
        if (m == 3) return;
        i3 += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(qa, Vector256.Load(x3 + ea)), sa)
            + Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(qb, Vector256.Load(x3 + eb)), sb);
    }

    /// <summary>
    /// The 4- and 5-bit 32-element formats with 8-bit products: the unsigned values (0–15 or 0–31) meet the int8
    /// activations in vpmaddubsw, pairs are summed by vpmaddwd, and each block is converted and scaled by d·xs; the
    /// centring (−8d, −16d) or stored minimum is an offset that meets the activations' block sums.
    /// </summary>
    private static void StreamLegacy<TDecoder>(in QuantizedRows x, StoredMatrix w, float* y, bool accumulate, int j0, int j1)
        where TDecoder : ILegacyBytes
    {
        int k = x.Cols, pieces = k / 32, m = x.Rows, ldy = w.Rows;
        sbyte* x0 = x.Bytes, x1 = x0 + k, x2 = x1 + k, x3 = x2 + k;
        short* b0 = x.BlockSums, b1 = b0 + k / 16, b2 = b1 + k / 16, b3 = b2 + k / 16;
        float* s0 = x.Scales, s1 = s0 + pieces, s2 = s1 + pieces, s3 = s2 + pieces;
        float* u0 = x.Sums, u1 = u0 + pieces, u2 = u1 + pieces, u3 = u2 + pieces;
        var ones = Vector256.Create((short)1);
        for (int j = j0; j < j1; j++)
        {
            byte* row = w.RowAddress(j);
            Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
            float o0 = 0, o1 = 0, o2 = 0, o3 = 0;
            for (int p = 0; p < pieces; p++)
            {
                byte* block = row + p * TDecoder.BlockBytes;
                var q = TDecoder.Values(block);
                float d = Half(block), offset = TDecoder.HasFloatOffset ? TDecoder.FloatOffset(block) : 0f;
                int e = p * 32, c = TDecoder.IntegerOffset;
                a0 = Vector256.FusedMultiplyAdd(LegacySum(q, x0 + e, ones, c * (b0[2 * p] + b0[2 * p + 1])), Vector256.Create(d * s0[p]), a0);
                if (TDecoder.HasFloatOffset) o0 += offset * u0[p];
                if (m == 1) continue;
                a1 = Vector256.FusedMultiplyAdd(LegacySum(q, x1 + e, ones, c * (b1[2 * p] + b1[2 * p + 1])), Vector256.Create(d * s1[p]), a1);
                if (TDecoder.HasFloatOffset) o1 += offset * u1[p];
                if (m == 2) continue;
                a2 = Vector256.FusedMultiplyAdd(LegacySum(q, x2 + e, ones, c * (b2[2 * p] + b2[2 * p + 1])), Vector256.Create(d * s2[p]), a2);
                if (TDecoder.HasFloatOffset) o2 += offset * u2[p];
                if (m == 3) continue;
                a3 = Vector256.FusedMultiplyAdd(LegacySum(q, x3 + e, ones, c * (b3[2 * p] + b3[2 * p + 1])), Vector256.Create(d * s3[p]), a3);
                if (TDecoder.HasFloatOffset) o3 += offset * u3[p];
            }
            Store(y, ldy, 0, j, Vector256.Sum(a0) + o0, accumulate);
            if (m > 1) Store(y, ldy, 1, j, Vector256.Sum(a1) + o1, accumulate);
            if (m > 2) Store(y, ldy, 2, j, Vector256.Sum(a2) + o2, accumulate);
            if (m > 3) Store(y, ldy, 3, j, Vector256.Sum(a3) + o3, accumulate);
        }
    }

    /// <summary>
    /// Σ q·x of one block in 8 int32 lanes, the integer offset (the centring −8 or −16 times Σx) added in lane 0 so
    /// the block's sum stays exact, as float32.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> LegacySum(Vector256<byte> q, sbyte* x, Vector256<short> ones, int offset) =>
        Avx.ConvertToVector256Single(Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(q, Vector256.Load(x)), ones) + Vector256.CreateScalar(offset));

    /// <summary>
    /// A 32-element format read for 8-bit products: unsigned values; a centring that is an integer (−8, −16) or a
    /// stored float16 minimum.
    /// </summary>
    internal interface ILegacyBytes
    {
        static abstract int BlockBytes { get; }

        static abstract Vector256<byte> Values(byte* block);

        static abstract int IntegerOffset { get; }

        static abstract bool HasFloatOffset { get; }

        static abstract float FloatOffset(byte* block);
    }

    internal readonly struct Q4_0Bytes : ILegacyBytes
    {
        public static int BlockBytes => 18;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<byte> Values(byte* block) => Nibbles(block + 2);

        public static int IntegerOffset => -8;
        public static bool HasFloatOffset => false;
        public static float FloatOffset(byte* block) => 0f;
    }

    internal readonly struct Q4_1Bytes : ILegacyBytes
    {
        public static int BlockBytes => 20;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<byte> Values(byte* block) => Nibbles(block + 4);

        public static int IntegerOffset => 0;
        public static bool HasFloatOffset => true;
        public static float FloatOffset(byte* block) => Half(block + 2);
    }

    internal readonly struct Q5_0Bytes : ILegacyBytes
    {
        public static int BlockBytes => 22;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<byte> Values(byte* block) => Nibbles(block + 6) | FifthBits(block + 2);

        public static int IntegerOffset => -16;
        public static bool HasFloatOffset => false;
        public static float FloatOffset(byte* block) => 0f;
    }

    internal readonly struct Q5_1Bytes : ILegacyBytes
    {
        public static int BlockBytes => 24;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<byte> Values(byte* block) => Nibbles(block + 8) | FifthBits(block + 4);

        public static int IntegerOffset => 0;
        public static bool HasFloatOffset => true;
        public static float FloatOffset(byte* block) => Half(block + 2);
    }

    /// <summary>One super-block's contribution, lane by lane: xs·(d·i − dmin·c).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> KBlock(Vector256<int> sums, Vector256<int> offsets, float d, float dmin, float xs) =>
        Avx.ConvertToVector256Single(sums) * Vector256.Create(xs * d) - Avx.ConvertToVector256Single(offsets) * Vector256.Create(xs * dmin);

    /// <summary>For piece p: lane p of eight 16-bit scales in every lane (a byte shuffle within each 128-bit half).</summary>
    private static readonly Vector256<byte>[] PieceOfEight = Enumerable.Range(0, 8)
        .Select(p => Vector256.Create(Enumerable.Range(0, 32).Select(i => (byte)(2 * p + (i & 1))).ToArray())).ToArray();

    /// <summary>For Q6_K piece p: scale 2p in lanes 0–7 and 2p + 1 in lanes 8–15, of sixteen 16-bit scales.</summary>
    private static readonly Vector256<short>[] PieceOfSixteen = Enumerable.Range(0, 8)
        .Select(p => Vector256.Create(Enumerable.Range(0, 16).Select(i => (short)(2 * p + (i >> 3))).ToArray())).ToArray();

    private static void Stream<TDecoder>(in QuantizedRows x, StoredMatrix w, float* y, bool accumulate, int j0, int j1)
        where TDecoder : IBlockDecoder
    {
        int pieces = x.Cols / 32, m = x.Rows, ldy = w.Rows;
        short* q0 = x.Values, q1 = q0 + x.Cols, q2 = q1 + x.Cols, q3 = q2 + x.Cols;
        float* s0 = x.Scales, s1 = s0 + pieces, s2 = s1 + pieces, s3 = s2 + pieces;
        float* u0 = x.Sums, u1 = u0 + pieces, u2 = u1 + pieces, u3 = u2 + pieces;
        for (int j = j0; j < j1; j++)
        {
            byte* row = w.RowAddress(j);
            Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
            float o0 = 0, o1 = 0, o2 = 0, o3 = 0;
            for (int p = 0; p < pieces; p++)
            {
                var wq = TDecoder.Values(row, p);
                float scale = TDecoder.Scale(row, p);
                a0 = Vector512.FusedMultiplyAdd(Dot(wq, q0 + p * 32), Vector512.Create(scale * s0[p]), a0);
                float offset = TDecoder.HasOffset ? TDecoder.Offset(row, p) : 0f;
                if (TDecoder.HasOffset) o0 += offset * u0[p];
                if (m == 1) continue;
                a1 = Vector512.FusedMultiplyAdd(Dot(wq, q1 + p * 32), Vector512.Create(scale * s1[p]), a1);
                if (TDecoder.HasOffset) o1 += offset * u1[p];
                if (m == 2) continue;
                a2 = Vector512.FusedMultiplyAdd(Dot(wq, q2 + p * 32), Vector512.Create(scale * s2[p]), a2);
                if (TDecoder.HasOffset) o2 += offset * u2[p];
                if (m == 3) continue;
                a3 = Vector512.FusedMultiplyAdd(Dot(wq, q3 + p * 32), Vector512.Create(scale * s3[p]), a3);
                if (TDecoder.HasOffset) o3 += offset * u3[p];
            }
            Store(y, ldy, 0, j, Vector512.Sum(a0) + o0, accumulate);
            if (m > 1) Store(y, ldy, 1, j, Vector512.Sum(a1) + o1, accumulate);
            if (m > 2) Store(y, ldy, 2, j, Vector512.Sum(a2) + o2, accumulate);
            if (m > 3) Store(y, ldy, 3, j, Vector512.Sum(a3) + o3, accumulate);
        }
    }

    /// <summary>Pairwise 16-bit products summed into 16 int32 lanes, as float32.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Dot(Vector512<short> w, short* x) =>
        Avx512F.ConvertToVector512Single(Avx512BW.MultiplyAddAdjacent(w, Vector512.Load(x)));

    private static void Store(float* y, int ldy, int i, int j, float value, bool accumulate)
    {
        float* at = y + (long)i * ldy + j;
        *at = accumulate ? *at + value : value;
    }

    /// <summary>
    /// The float16 at <paramref name="at"/> as float32, by bits: the exponent and mantissa shifted into a float32 and
    /// rescaled by 2^112 (exact for normal and subnormal values; block scales are never infinite or NaN). A call of
    /// the Half conversion per block costs more than the block's product.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static float Half(byte* at)
    {
        uint h = Unsafe.ReadUnaligned<ushort>(at);
        float magnitude = BitConverter.UInt32BitsToSingle((h & 0x7FFF) << 13) * 5.192296858534828e33f;
        return BitConverter.UInt32BitsToSingle(BitConverter.SingleToUInt32Bits(magnitude) | ((h & 0x8000) << 16));
    }

    /// <summary>
    /// A block format multiplied in 16-bit pairs (Q8_0, whose values are signed bytes): piece p of a row as 16-bit
    /// integers q, with its float scale s and offset o, w = s·q + o.
    /// </summary>
    private interface IBlockDecoder
    {
        static abstract Vector512<short> Values(byte* row, int p);

        static abstract float Scale(byte* row, int p);

        static abstract float Offset(byte* row, int p);

        /// <summary>False when every offset is 0 (the sum is then skipped).</summary>
        static abstract bool HasOffset { get; }
    }

    // Q8_0: 34 bytes per 32 elements — float16 d, then 32 int8 values; w = d·q.
    private readonly struct Q8_0Decoder : IBlockDecoder
    {
        public static bool HasOffset => false;

        public static float Scale(byte* row, int p) => Half(row + p * 34);

        public static float Offset(byte* row, int p) => 0f;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<short> Values(byte* row, int p) => Avx512BW.ConvertToVector512Int16(Vector256.Load((sbyte*)(row + p * 34 + 2)));
    }

    /// <summary>16 bytes of nibbles as 32 values: the low nibbles are elements 0–15, the high ones 16–31 (the legacy quants' order).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<byte> Nibbles(byte* at)
    {
        var packed = Vector128.Load(at);
        var mask = Vector128.Create((byte)0x0F);
        return Vector256.Create(packed & mask, Vector128.ShiftRightLogical(packed, 4) & mask);
    }

    /// <summary>Bit e of the 32-bit word at <paramref name="at"/> as 0x10 in byte e (the fifth bit of Q5_0 / Q5_1).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<byte> FifthBits(byte* at)
    {
        var word = Vector256.Create(Unsafe.ReadUnaligned<uint>(at)).AsByte();
        // Byte e takes byte e/8 of the word (pshufb works within each 128-bit half, and both halves hold the word).
        var spread = Avx2.Shuffle(word, Vector256.Create((byte)0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3));
        var bit = Vector256.Create((byte)1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128);
        return Vector256.Equals(spread & bit, bit) & Vector256.Create((byte)0x10);
    }

    /// <summary>
    /// A K-quant super-block read for 8-bit products: piece p's values as unsigned bytes, its scales as the 16-bit
    /// multipliers of the 16 pair sums (two sub-blocks of 16 for Q6_K, one of 32 otherwise), the integer correction
    /// Σ offset·x from the activations' sums of 16, and the block's d and offset scale.
    /// </summary>
    private interface IKBytes
    {
        static abstract int BlockBytes { get; }

        /// <summary>Pair c (0–3) of the block's eight pieces, which share their loads: values and piece numbers.</summary>
        static abstract void Pair(byte* block, int c, out Vector256<byte> a, out Vector256<byte> b, out int pa, out int pb);

        /// <summary>The block's sub-block scales as 16-bit integers, and the weights of the activations' sums of 16 that give its offsets.</summary>
        static abstract Vector256<short> BlockScales(byte* block, out Vector256<short> offsetWeights);

        static abstract Vector256<short> PieceScales(Vector256<short> blockScales, int p);

        static abstract float Scale(byte* block);

        static abstract float OffsetScale(byte* block);
    }

    /// <summary>
    /// Q4_K and Q5_K's twelve bytes of 6-bit scales and minimums, unpacked without branches: sub-blocks 0–3 are the low
    /// six bits of bytes 0–3 (scales) and 4–7 (minimums); 4–7 are the nibbles of bytes 8–11 below the top two bits of
    /// bytes 0–3 and 4–7. Scales in lanes 0–7 (repeated in 8–15); each minimum twice, once per sum of 16 it weighs.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<short> KScalesAndMins(byte* packed, out Vector256<short> mins)
    {
        uint a = Unsafe.ReadUnaligned<uint>(packed), b = Unsafe.ReadUnaligned<uint>(packed + 4), c = Unsafe.ReadUnaligned<uint>(packed + 8);
        uint scalesLow = a & 0x3F3F3F3F, minsLow = b & 0x3F3F3F3F;
        uint scalesHigh = (c & 0x0F0F0F0F) | (((a >> 6) & 0x03030303) << 4);
        uint minsHigh = ((c >> 4) & 0x0F0F0F0F) | (((b >> 6) & 0x03030303) << 4);
        var scales = Sse41.ConvertToVector128Int16(Vector128.Create(scalesLow, scalesHigh, 0u, 0u).AsByte());
        var m = Sse41.ConvertToVector128Int16(Vector128.Create(minsLow, minsHigh, 0u, 0u).AsByte());
        mins = Vector256.Create(Sse2.UnpackLow(m, m), Sse2.UnpackHigh(m, m));
        return Vector256.Create(scales, scales);
    }

    private readonly struct Q4_KBytes : IKBytes
    {
        public static int BlockBytes => 144;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Pair(byte* block, int c, out Vector256<byte> a, out Vector256<byte> b, out int pa, out int pb)
        {
            var packed = Vector256.Load(block + 16 + c * 32);
            a = packed & Vector256.Create((byte)0x0F);
            b = Vector256.ShiftRightLogical(packed.AsUInt16(), 4).AsByte() & Vector256.Create((byte)0x0F);
            (pa, pb) = (2 * c, 2 * c + 1);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<short> BlockScales(byte* block, out Vector256<short> offsetWeights) => KScalesAndMins(block + 4, out offsetWeights);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<short> PieceScales(Vector256<short> blockScales, int p) => Avx2.Shuffle(blockScales.AsByte(), PieceOfEight[p]).AsInt16();

        public static float Scale(byte* block) => Half(block);

        public static float OffsetScale(byte* block) => Half(block + 2);
    }

    private readonly struct Q5_KBytes : IKBytes
    {
        public static int BlockBytes => 176;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Pair(byte* block, int c, out Vector256<byte> a, out Vector256<byte> b, out int pa, out int pb)
        {
            var packed = Vector256.Load(block + 48 + c * 32);
            // Bit 2c of each high byte belongs to piece 2c, bit 2c + 1 to piece 2c + 1.
            var high = Vector256.ShiftRightLogical(Vector256.Load(block + 16).AsUInt16(), 2 * c).AsByte();
            a = (packed & Vector256.Create((byte)0x0F)) | Vector256.ShiftLeft((high & Vector256.Create((byte)0x01)).AsUInt16(), 4).AsByte();
            b = (Vector256.ShiftRightLogical(packed.AsUInt16(), 4).AsByte() & Vector256.Create((byte)0x0F)) | Vector256.ShiftLeft((high & Vector256.Create((byte)0x02)).AsUInt16(), 3).AsByte();
            (pa, pb) = (2 * c, 2 * c + 1);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<short> BlockScales(byte* block, out Vector256<short> offsetWeights) => KScalesAndMins(block + 4, out offsetWeights);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<short> PieceScales(Vector256<short> blockScales, int p) => Avx2.Shuffle(blockScales.AsByte(), PieceOfEight[p]).AsInt16();

        public static float Scale(byte* block) => Half(block);

        public static float OffsetScale(byte* block) => Half(block + 2);
    }

    private readonly struct Q6_KBytes : IKBytes
    {
        public static int BlockBytes => 210;

        /// <summary>Pieces q and q + 2 of a half share the low-nibble bytes (low and high nibbles) and the high-bit bytes.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Pair(byte* block, int c, out Vector256<byte> a, out Vector256<byte> b, out int pa, out int pb)
        {
            int half = c >> 1, quarter = c & 1;
            var low = Vector256.Load(block + half * 64 + quarter * 32);
            var high = Vector256.ShiftRightLogical(Vector256.Load(block + 128 + half * 32).AsUInt16(), 2 * quarter).AsByte();
            var mask = Vector256.Create((byte)0x0F);
            a = (low & mask) | Vector256.ShiftLeft((high & Vector256.Create((byte)0x03)).AsUInt16(), 4).AsByte();
            b = (Vector256.ShiftRightLogical(low.AsUInt16(), 4).AsByte() & mask) | (high & Vector256.Create((byte)0x30));
            (pa, pb) = (half * 4 + quarter, half * 4 + quarter + 2);
        }

        /// <summary>Sixteen int8 scales, one per 16 elements; every value is stored +32, so the offsets weigh each sum of 16 by 32·sc.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<short> BlockScales(byte* block, out Vector256<short> offsetWeights)
        {
            var scales = Avx2.ConvertToVector256Int16(Vector128.Load((sbyte*)(block + 192)));
            offsetWeights = Vector256.ShiftLeft(scales, 5);
            return scales;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<short> PieceScales(Vector256<short> blockScales, int p) =>
            Wide ? Avx512BW.VL.PermuteVar16x16(blockScales, PieceOfSixteen[p]) : Q6PieceScalesAvx2(blockScales, p);

        public static float Scale(byte* block) => Half(block + 208);

        public static float OffsetScale(byte* block) => Half(block + 208);
    }
}
