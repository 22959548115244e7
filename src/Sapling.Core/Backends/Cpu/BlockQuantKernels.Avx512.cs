using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Sapling.Backends.Cpu;

/// <summary>
/// The K-quants' decoding product at 512 bits: each step takes two neighbouring 32-element pieces (elements 64c to
/// 64c + 63 of a super-block), so the activations are one contiguous load and every multiply-add covers 64 weights.
/// </summary>
/// <remarks>
/// The 256-bit kernel (<see cref="StreamK{TDecoder}"/>) pairs the pieces that share their packed bytes (Q4_K's low and
/// high nibbles of the same 32 bytes), which are 32 elements apart; here those bytes are broadcast to both halves of
/// the register and shifted by a different count in each half (vpsrlvw, vprolvd), so the two halves hold neighbouring
/// pieces. Per super-block this is about 30% fewer instructions than the 256-bit form, whose speed on one token was
/// bound by its instruction count, not by memory. Same integers, so the same int32 sums; the float sums associate
/// differently.
/// </remarks>
internal static unsafe partial class BlockQuantKernels
{
    private static void StreamKWide<TDecoder>(in QuantizedRows x, StoredMatrix w, float* y, bool accumulate, int j0, int j1)
        where TDecoder : IKWideBytes
    {
        if (x.Rows == 1) StreamKWide<TDecoder, OneRow>(x, w, y, accumulate, j0, j1);
        else StreamKWide<TDecoder, UpToFourRows>(x, w, y, accumulate, j0, j1);
    }

    /// <summary>
    /// One activation row (decoding one sequence) or up to four, as a type argument: with one, m is a constant 1 and
    /// the form compiles without the other rows' branches and registers, about a sixth of the instructions per
    /// super-block.
    /// </summary>
    private interface IRowCount
    {
        static abstract bool One { get; }
    }

    private readonly struct OneRow : IRowCount
    {
        public static bool One => true;
    }

    private readonly struct UpToFourRows : IRowCount
    {
        public static bool One => false;
    }

    private static void StreamKWide<TDecoder, TRows>(in QuantizedRows x, StoredMatrix w, float* y, bool accumulate, int j0, int j1)
        where TDecoder : IKWideBytes where TRows : IRowCount
    {
        int k = x.Cols, blocks = k / 256, m = TRows.One ? 1 : x.Rows, ldy = w.Rows;
        sbyte* x0 = x.Bytes, x1 = x0 + k, x2 = x1 + k, x3 = x2 + k;
        short* b0 = x.BlockSums, b1 = b0 + k / 16, b2 = b1 + k / 16, b3 = b2 + k / 16;
        float* s0 = x.Scales, s1 = s0 + k / 32, s2 = s1 + k / 32, s3 = s2 + k / 32;
        for (int j = j0; j < j1; j++)
        {
            byte* row = w.RowAddress(j);
            Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
            Vector256<float> o0 = default, o1 = default, o2 = default, o3 = default;
            for (int b = 0; b < blocks; b++)
            {
                byte* block = row + b * TDecoder.BlockBytes;
                var blockScales = TDecoder.BlockScales(block, out var offsetWeights);
                Vector512<int> i0 = default, i1 = default, i2 = default, i3 = default;
                int e = b * 256;
                // Written out so each step's scale permutation and shift counts are constants.
                TDecoder.Half(block, 0, out var q0, out var q1);
                WideProducts(q0, TDecoder.PairScales(blockScales, 0), x0 + e, x1 + e, x2 + e, x3 + e, m, ref i0, ref i1, ref i2, ref i3);
                WideProducts(q1, TDecoder.PairScales(blockScales, 1), x0 + e + 64, x1 + e + 64, x2 + e + 64, x3 + e + 64, m, ref i0, ref i1, ref i2, ref i3);
                TDecoder.Half(block, 1, out var q2, out var q3);
                WideProducts(q2, TDecoder.PairScales(blockScales, 2), x0 + e + 128, x1 + e + 128, x2 + e + 128, x3 + e + 128, m, ref i0, ref i1, ref i2, ref i3);
                WideProducts(q3, TDecoder.PairScales(blockScales, 3), x0 + e + 192, x1 + e + 192, x2 + e + 192, x3 + e + 192, m, ref i0, ref i1, ref i2, ref i3);
                // d and the offset scale of the block, times each row's Q8_K scale: lanes 0 and 1.
                var blockScale = TDecoder.Scales(block);
                int piece = b * 8, sums = b * 16;
                // As the 256-bit kernel: y += xs·(d·Σi − dmin·Σ weight·sum), the two parts kept apart until the end.
                var f = blockScale * Vector128.Create(s0[piece]);
                a0 = Vector512.FusedMultiplyAdd(Avx512F.ConvertToVector512Single(i0), Vector512.Create(f.ToScalar()), a0);
                o0 = Vector256.FusedMultiplyAdd(Offsets(b0 + sums, offsetWeights), Vector256.Create(f.GetElement(1)), o0);
                if (m == 1) continue;
                f = blockScale * Vector128.Create(s1[piece]);
                a1 = Vector512.FusedMultiplyAdd(Avx512F.ConvertToVector512Single(i1), Vector512.Create(f.ToScalar()), a1);
                o1 = Vector256.FusedMultiplyAdd(Offsets(b1 + sums, offsetWeights), Vector256.Create(f.GetElement(1)), o1);
                if (m == 2) continue;
                f = blockScale * Vector128.Create(s2[piece]);
                a2 = Vector512.FusedMultiplyAdd(Avx512F.ConvertToVector512Single(i2), Vector512.Create(f.ToScalar()), a2);
                o2 = Vector256.FusedMultiplyAdd(Offsets(b2 + sums, offsetWeights), Vector256.Create(f.GetElement(1)), o2);
                if (m == 3) continue;
                f = blockScale * Vector128.Create(s3[piece]);
                a3 = Vector512.FusedMultiplyAdd(Avx512F.ConvertToVector512Single(i3), Vector512.Create(f.ToScalar()), a3);
                o3 = Vector256.FusedMultiplyAdd(Offsets(b3 + sums, offsetWeights), Vector256.Create(f.GetElement(1)), o3);
            }
            Store(y, ldy, 0, j, Vector512.Sum(a0) - Vector256.Sum(o0), accumulate);
            if (m > 1) Store(y, ldy, 1, j, Vector512.Sum(a1) - Vector256.Sum(o1), accumulate);
            if (m > 2) Store(y, ldy, 2, j, Vector512.Sum(a2) - Vector256.Sum(o2), accumulate);
            if (m > 3) Store(y, ldy, 3, j, Vector512.Sum(a3) - Vector256.Sum(o3), accumulate);
        }
    }

    /// <summary>Σ offset weight · sum of 16 over a super-block's sixteen sums, in eight lanes, as float32.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Offsets(short* sums, Vector256<short> offsetWeights) =>
        Avx.ConvertToVector256Single(Avx2.MultiplyAddAdjacent(Vector256.Load(sums), offsetWeights));

    /// <summary>Adds Σ sc·q·x of 64 elements (<paramref name="q"/> against each row's 64 activations) to each activation row's sixteen int32 lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void WideProducts(Vector512<byte> q, Vector512<short> scales, sbyte* x0, sbyte* x1, sbyte* x2, sbyte* x3, int m,
        ref Vector512<int> i0, ref Vector512<int> i1, ref Vector512<int> i2, ref Vector512<int> i3)
    {
        i0 += Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(q, Vector512.Load(x0)), scales);
        if (m == 1) return;
        i1 += Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(q, Vector512.Load(x1)), scales);
        if (m == 2) return;
        i2 += Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(q, Vector512.Load(x2)), scales);
        if (m == 3) return;
        i3 += Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(q, Vector512.Load(x3)), scales);
    }

    /// <summary>
    /// A K-quant super-block read 128 elements at a time: the unsigned values of pieces 4h to 4h + 3 (elements 64c to
    /// 64c + 63 for c = 2h and 2h + 1), the 16-bit multipliers of each 64 elements' 32 pair sums, the offsets' weights of
    /// the activations' sums of 16, and d and the offset scale.
    /// </summary>
    private interface IKWideBytes
    {
        static abstract int BlockBytes { get; }

        /// <summary>Elements 128h to 128h + 63 in <paramref name="first"/>, 128h + 64 to 128h + 127 in <paramref name="second"/>.</summary>
        static abstract void Half(byte* block, int h, out Vector512<byte> first, out Vector512<byte> second);

        static abstract Vector512<short> BlockScales(byte* block, out Vector256<short> offsetWeights);

        static abstract Vector512<short> PairScales(Vector512<short> blockScales, int c);

        /// <summary>d in lane 0 and the offset scale in lane 1 (d again for Q6_K, whose offset is −32·sc).</summary>
        static abstract Vector128<float> Scales(byte* block);
    }

    /// <summary>Bytes broadcast to both halves, the lower half shifted right by 0 bits and the upper by 4 (per 16-bit lane): low nibbles, then high.</summary>
    private static readonly Vector512<ushort> NibbleShifts = Vector512.Create(Vector256<ushort>.Zero, Vector256.Create((ushort)4));

    /// <summary>The low and high nibbles of 32 packed bytes as 64 values, 0–15.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<byte> BothNibbles(byte* packed) =>
        Avx512BW.ShiftRightLogicalVariable(BothHalves(packed).AsUInt16(), NibbleShifts).AsByte() & Vector512.Create((byte)0x0F);

    /// <summary>32 bytes broadcast to both halves, each half's 32-bit lanes rotated left by its own count.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<byte> RotateHalves(byte* bytes, Vector512<uint> counts) =>
        Avx512F.RotateLeftVariable(BothHalves(bytes).AsUInt32(), counts).AsByte();

    /// <summary>
    /// 32 bytes in both halves of a register (vbroadcasti32x8). Not the 64-bit form, Avx512F's vbroadcasti64x4: .NET
    /// 10.0's JIT encodes its memory operand's compressed displacement in units of 16 bytes where the processor reads
    /// 32, so <c>p + 16</c> loaded from <c>p + 32</c> (the kernel tests caught it).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<byte> BothHalves(byte* bytes) => Avx512DQ.BroadcastVector256ToVector512((int*)bytes).AsByte();

    /// <summary>Lanes 0–15 take scale 2c, lanes 16–31 scale 2c + 1: one 32-element piece per half.</summary>
    private static readonly Vector512<short> Pieces01 = HalvesOf(0, 1), Pieces23 = HalvesOf(2, 3), Pieces45 = HalvesOf(4, 5), Pieces67 = HalvesOf(6, 7);

    private static Vector512<short> HalvesOf(int lower, int upper) => Vector512.Create(Vector256.Create((short)lower), Vector256.Create((short)upper));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<short> PieceIndex(int c) => c switch { 0 => Pieces01, 1 => Pieces23, 2 => Pieces45, _ => Pieces67 };

    /// <summary>
    /// Q5_K's fifth bits: bit 2c of a high byte belongs to piece 2c and bit 2c + 1 to piece 2c + 1; rotating left by
    /// 4 − 2c (lower half) and 3 − 2c (upper half), modulo 32, puts each at bit 4 of its own byte.
    /// </summary>
    private static readonly Vector512<uint> Q5Bits0 = RotationHalves(4, 3), Q5Bits1 = RotationHalves(2, 1), Q5Bits2 = RotationHalves(0, 31), Q5Bits3 = RotationHalves(30, 29);

    private static Vector512<uint> RotationHalves(uint lower, uint upper) => Vector512.Create(Vector256.Create(lower), Vector256.Create(upper));

    /// <summary>
    /// Two float16 (the low and high halves of <paramref name="bits"/>) as float32 in lanes 0 and 1, as
    /// <see cref="Half(byte*)"/> converts one, in vector registers: the scalar form per block cost about as much as
    /// the block's products.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector128<float> TwoHalves(uint bits)
    {
        var h = Sse41.ConvertToVector128Int32(Vector128.CreateScalar(bits).AsUInt16()).AsUInt32();
        var magnitude = Vector128.ShiftLeft(h & Vector128.Create(0x7FFFu), 13).AsSingle() * Vector128.Create(5.192296858534828e33f);
        return magnitude | Vector128.ShiftLeft(h & Vector128.Create(0x8000u), 16).AsSingle();
    }

    /// <summary>
    /// <see cref="KScalesAndMins"/> in vector registers: the twelve packed bytes (and the four after them, inside the
    /// block) shuffled so lanes 0–7 hold the scales and 8–15 the minimums, as 16-bit integers; the minimums' weights
    /// of the sums of 16 repeat each minimum twice.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<short> KScalesAndMinsWide(byte* packed, out Vector256<short> offsetWeights)
    {
        var b = Vector128.Load(packed);
        // Low bits: scales 0–3 = b0–3 & 63, scales 4–7 = b8–11 & 15, minimums 0–3 = b4–7 & 63, minimums 4–7 = b8–11 >> 4.
        var low = Ssse3.Shuffle(b, Vector128.Create((byte)0, 1, 2, 3, 8, 9, 10, 11, 4, 5, 6, 7, 8, 9, 10, 11));
        var lowBits = (low & Vector128.Create(0x3F3F3F3F, 0x0F0F0F0F, 0x3F3F3F3F, 0).AsByte())
            | (Vector128.ShiftRightLogical(low.AsUInt64(), 4).AsByte() & Vector128.Create(0, 0, 0, 0x0F0F0F0F).AsByte());
        // High bits of scales and minimums 4–7: the top two bits of b0–3 and b4–7, at bits 4–5.
        var high = Ssse3.Shuffle(b, Vector128.Create(0x80, 0x80, 0x80, 0x80, 0, 1, 2, 3, 0x80, 0x80, 0x80, 0x80, 4, 5, 6, 7));
        var bytes = lowBits | (Vector128.ShiftRightLogical(high.AsUInt16(), 2).AsByte() & Vector128.Create((byte)0x30));
        var words = Avx2.ConvertToVector256Int16(bytes);
        offsetWeights = Avx512BW.VL.PermuteVar16x16(words, Vector256.Create((short)8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13, 14, 14, 15, 15));
        return words.ToVector512Unsafe();
    }

    private readonly struct Q4_KWide : IKWideBytes
    {
        public static int BlockBytes => 144;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Half(byte* block, int h, out Vector512<byte> first, out Vector512<byte> second)
        {
            first = BothNibbles(block + 16 + h * 64);
            second = BothNibbles(block + 48 + h * 64);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<short> BlockScales(byte* block, out Vector256<short> offsetWeights) => KScalesAndMinsWide(block + 4, out offsetWeights);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<short> PairScales(Vector512<short> blockScales, int c) => Avx512BW.PermuteVar32x16(blockScales, PieceIndex(c));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<float> Scales(byte* block) => TwoHalves(Unsafe.ReadUnaligned<uint>(block));
    }

    private readonly struct Q5_KWide : IKWideBytes
    {
        public static int BlockBytes => 176;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Half(byte* block, int h, out Vector512<byte> first, out Vector512<byte> second)
        {
            first = BothNibbles(block + 48 + h * 64) | (RotateHalves(block + 16, h == 0 ? Q5Bits0 : Q5Bits2) & Vector512.Create((byte)0x10));
            second = BothNibbles(block + 80 + h * 64) | (RotateHalves(block + 16, h == 0 ? Q5Bits1 : Q5Bits3) & Vector512.Create((byte)0x10));
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<short> BlockScales(byte* block, out Vector256<short> offsetWeights) => KScalesAndMinsWide(block + 4, out offsetWeights);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<short> PairScales(Vector512<short> blockScales, int c) => Avx512BW.PermuteVar32x16(blockScales, PieceIndex(c));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<float> Scales(byte* block) => TwoHalves(Unsafe.ReadUnaligned<uint>(block));
    }

    /// <summary>
    /// Q6_K's two halves of 128 elements: pieces 0 and 1 of a half are the low nibbles of its 64 low-bit bytes, pieces 2
    /// and 3 their high nibbles; the top two bits come from the half's 32 high-bit bytes, bits 2p and 2p + 1 for
    /// piece p, rotated to bits 4–5 (left by 4, 2, 0 and 30). One load of the 64 low-bit bytes and one broadcast of
    /// the 32 high-bit bytes serve all four pieces.
    /// </summary>
    private readonly struct Q6_KWide : IKWideBytes
    {
        public static int BlockBytes => 210;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Half(byte* block, int h, out Vector512<byte> first, out Vector512<byte> second)
        {
            var low = Vector512.Load(block + h * 64);
            var high = BothHalves(block + 128 + h * 32).AsUInt32();
            first = (low & Vector512.Create((byte)0x0F)) | (Avx512F.RotateLeftVariable(high, Q6Bits01).AsByte() & Vector512.Create((byte)0x30));
            second = (Vector512.ShiftRightLogical(low.AsUInt16(), 4).AsByte() & Vector512.Create((byte)0x0F))
                | (Avx512F.RotateLeftVariable(high, Q6Bits23).AsByte() & Vector512.Create((byte)0x30));
        }

        /// <summary>Sixteen int8 scales, one per 16 elements; every value is stored +32, so the offsets weigh each sum of 16 by 32·sc.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<short> BlockScales(byte* block, out Vector256<short> offsetWeights)
        {
            var scales = Avx2.ConvertToVector256Int16(Vector128.Load((sbyte*)(block + 192)));
            offsetWeights = Vector256.ShiftLeft(scales, 5);
            return scales.ToVector512Unsafe();
        }

        /// <summary>Scales 4c to 4c + 3, each over eight pair sums (16 elements).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<short> PairScales(Vector512<short> blockScales, int c) =>
            Avx512BW.PermuteVar32x16(blockScales, c switch { 0 => Q6Scales0, 1 => Q6Scales1, 2 => Q6Scales2, _ => Q6Scales3 });

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<float> Scales(byte* block)
        {
            uint d = Unsafe.ReadUnaligned<ushort>(block + 208);
            return TwoHalves(d | d << 16);
        }
    }

    private static readonly Vector512<uint> Q6Bits01 = RotationHalves(4, 2), Q6Bits23 = RotationHalves(0, 30);

    private static readonly Vector512<short> Q6Scales0 = QuartersOf(0), Q6Scales1 = QuartersOf(1), Q6Scales2 = QuartersOf(2), Q6Scales3 = QuartersOf(3);

    private static Vector512<short> QuartersOf(int c)
    {
        var lanes = new short[32];
        for (int i = 0; i < 32; i++) lanes[i] = (short)(4 * c + i / 8);
        return Vector512.Create(lanes);
    }
}
