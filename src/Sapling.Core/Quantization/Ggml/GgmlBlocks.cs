using System.Buffers.Binary;

namespace Sapling.Quantization.Ggml;

/// <summary>
/// ggml's tensor encodings in plain scalar C#, byte for byte and bit for bit what ggml itself produces: the reference
/// quantisers (what <c>ggml_quantize_chunk</c> does without an importance matrix, i.e. <c>quantize_row_*_ref</c>) and
/// the dequantisers of ggml's type traits (<c>to_float</c>). This is the oracle that faster kernels are checked against,
/// so it favours being obviously faithful over being fast: every float operation is done in float, in ggml's order,
/// with no fused multiply-adds (the ggml builds this is checked against contain none).
/// </summary>
/// <remarks>
/// Blocks are little-endian and packed without padding. A row (and every span passed here) is a whole number of
/// blocks; blocks are independent, so quantising many rows at once is the same as quantising them one by one.
/// Families: F32/F16/BF16 here, the 32-element "legacy" quants in GgmlBlocks.Legacy.cs, the 256-element K-quants in
/// GgmlBlocks.KQuants.cs.
/// </remarks>
public static partial class GgmlBlocks
{
    /// <summary>
    /// Decodes <paramref name="dst"/>.Length elements of <paramref name="type"/> from <paramref name="src"/>, which must
    /// hold exactly their <see cref="GgmlTypeInfo.ByteCount"/> bytes.
    /// </summary>
    /// <exception cref="NotSupportedException">The type has no decoder here (integer types, F64, Q8_1, the IQ types).</exception>
    /// <exception cref="ArgumentException">The lengths are not whole blocks or do not match.</exception>
    public static void Dequantize(GgmlType type, ReadOnlySpan<byte> src, Span<float> dst)
    {
        RequireSupported(type, "dequantize");
        int blocks = CheckLengths(type, "dequantize", dst.Length, src.Length, "src");
        switch (type)
        {
            case GgmlType.F32: DequantizeF32(src, dst); break;
            case GgmlType.F16: DequantizeF16(src, dst); break;
            case GgmlType.BF16: DequantizeBF16(src, dst); break;
            case GgmlType.Q4_0: DequantizeQ4_0(src, dst, blocks); break;
            case GgmlType.Q4_1: DequantizeQ4_1(src, dst, blocks); break;
            case GgmlType.Q5_0: DequantizeQ5_0(src, dst, blocks); break;
            case GgmlType.Q5_1: DequantizeQ5_1(src, dst, blocks); break;
            case GgmlType.Q8_0: DequantizeQ8_0(src, dst, blocks); break;
            case GgmlType.Q2_K: DequantizeQ2_K(src, dst, blocks); break;
            case GgmlType.Q3_K: DequantizeQ3_K(src, dst, blocks); break;
            case GgmlType.Q4_K: DequantizeQ4_K(src, dst, blocks); break;
            case GgmlType.Q5_K: DequantizeQ5_K(src, dst, blocks); break;
            case GgmlType.Q6_K: DequantizeQ6_K(src, dst, blocks); break;
            case GgmlType.Q8_K: DequantizeQ8_K(src, dst, blocks); break;
        }
    }

    /// <summary>
    /// Encodes <paramref name="src"/> as <paramref name="type"/> into <paramref name="dst"/>, which must be exactly
    /// <see cref="GgmlTypeInfo.ByteCount"/> bytes; every byte of it is written. The bytes are those of ggml's reference
    /// quantiser for the type (no importance matrix).
    /// </summary>
    /// <exception cref="NotSupportedException">The type has no encoder here (integer types, F64, Q8_1, the IQ types).</exception>
    /// <exception cref="ArgumentException">The lengths are not whole blocks or do not match.</exception>
    public static void Quantize(GgmlType type, ReadOnlySpan<float> src, Span<byte> dst)
    {
        RequireSupported(type, "quantize");
        int blocks = CheckLengths(type, "quantize", src.Length, dst.Length, "dst");
        switch (type)
        {
            case GgmlType.F32: QuantizeF32(src, dst); break;
            case GgmlType.F16: QuantizeF16(src, dst); break;
            case GgmlType.BF16: QuantizeBF16(src, dst); break;
            case GgmlType.Q4_0: QuantizeQ4_0(src, dst, blocks); break;
            case GgmlType.Q4_1: QuantizeQ4_1(src, dst, blocks); break;
            case GgmlType.Q5_0: QuantizeQ5_0(src, dst, blocks); break;
            case GgmlType.Q5_1: QuantizeQ5_1(src, dst, blocks); break;
            case GgmlType.Q8_0: QuantizeQ8_0(src, dst, blocks); break;
            case GgmlType.Q2_K: QuantizeQ2_K(src, dst, blocks); break;
            case GgmlType.Q3_K: QuantizeQ3_K(src, dst, blocks); break;
            case GgmlType.Q4_K: QuantizeQ4_K(src, dst, blocks); break;
            case GgmlType.Q5_K: QuantizeQ5_K(src, dst, blocks); break;
            case GgmlType.Q6_K: QuantizeQ6_K(src, dst, blocks); break;
            case GgmlType.Q8_K: QuantizeQ8_K(src, dst, blocks); break;
        }
    }

    /// <summary>
    /// False when any value of <paramref name="data"/> (whole blocks of <paramref name="type"/>) is NaN or infinite: every
    /// element of the float types, every block's float16 scale and minimum (or Q8_K's float32 scale) of the block types
    /// — the only places a block can hold one. Reads each block's header, not its values.
    /// </summary>
    public static bool AllFinite(GgmlType type, ReadOnlySpan<byte> data)
    {
        static bool Half(ReadOnlySpan<byte> b, int at) => (BinaryPrimitives.ReadUInt16LittleEndian(b[at..]) & 0x7C00) != 0x7C00;
        int size = type.BlockBytes();
        if (data.Length % size != 0) throw new ArgumentException($"{type.Name()}: {data.Length} bytes are not whole blocks of {size}");
        for (int at = 0; at < data.Length; at += size)
        {
            var block = data.Slice(at, size);
            bool finite = type switch
            {
                GgmlType.F32 => float.IsFinite(BinaryPrimitives.ReadSingleLittleEndian(block)),
                GgmlType.F16 => Half(block, 0),
                GgmlType.BF16 => (BinaryPrimitives.ReadUInt16LittleEndian(block) & 0x7F80) != 0x7F80,
                GgmlType.Q4_0 or GgmlType.Q5_0 or GgmlType.Q8_0 => Half(block, 0),
                GgmlType.Q4_1 or GgmlType.Q5_1 or GgmlType.Q4_K or GgmlType.Q5_K => Half(block, 0) && Half(block, 2),
                GgmlType.Q2_K => Half(block, 80) && Half(block, 82),
                GgmlType.Q3_K => Half(block, 108),
                GgmlType.Q6_K => Half(block, 208),
                GgmlType.Q8_K => float.IsFinite(BinaryPrimitives.ReadSingleLittleEndian(block)),
                _ => throw new NotSupportedException($"{type.Name()}: no finiteness check"),
            };
            if (!finite) return false;
        }
        return true;
    }

    /// <summary>True for the types <see cref="Quantize"/> and <see cref="Dequantize"/> handle.</summary>
    public static bool IsSupported(GgmlType type) => type is GgmlType.F32 or GgmlType.F16 or GgmlType.BF16
        or GgmlType.Q4_0 or GgmlType.Q4_1 or GgmlType.Q5_0 or GgmlType.Q5_1 or GgmlType.Q8_0
        or GgmlType.Q2_K or GgmlType.Q3_K or GgmlType.Q4_K or GgmlType.Q5_K or GgmlType.Q6_K or GgmlType.Q8_K;

    private static void RequireSupported(GgmlType type, string what)
    {
        if (!IsSupported(type))
            throw new NotSupportedException($"ggml {what}: type {(type.IsKnown() ? type.Name() : ((uint)type).ToString())} is not supported "
                + "(supported: f32, f16, bf16, q4_0, q4_1, q5_0, q5_1, q8_0, q2_K, q3_K, q4_K, q5_K, q6_K, q8_K)");
    }

    /// <summary>Checks that <paramref name="elements"/> are whole blocks stored in exactly <paramref name="bytes"/> bytes; returns the block count.</summary>
    private static int CheckLengths(GgmlType type, string what, int elements, int bytes, string bytesName)
    {
        int blockSize = type.BlockSize();
        if (elements % blockSize != 0)
            throw new ArgumentException($"ggml {what} {type.Name()}: {elements} elements are not a whole number of {blockSize}-element blocks");
        int blocks = elements / blockSize;
        long expected = (long)blocks * type.BlockBytes();
        if (bytes != expected)
            throw new ArgumentException($"ggml {what} {type.Name()}: {elements} elements take {expected} bytes ({blocks} blocks of {type.BlockBytes()}), but {bytesName} has {bytes}", bytesName);
        return blocks;
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Scalar conversions, exactly as ggml's portable C computes them (the builds checked against use these, not F16C).
    // ---------------------------------------------------------------------------------------------------------------

    /// <summary>
    /// float32 → IEEE binary16 bits, round to nearest even, overflow to ±inf, subnormals kept; any NaN becomes the quiet
    /// NaN 0x7E00 with the input's sign (ggml's portable conversion, which the hardware F16C instruction agrees with
    /// except that it keeps NaN payloads).
    /// </summary>
    internal static ushort FloatToHalfBits(float f)
    {
        // Multiplying by 2^112 sends magnitudes beyond binary16's range to infinity; multiplying back by 2^-110 leaves
        // the others exactly scaled by 4. Adding a power of two chosen from f's exponent (floored for results that
        // will be subnormal) then makes the float adder round away exactly the mantissa bits binary16 drops, ties to
        // even, and the sum's low bits are the binary16 exponent and mantissa.
        float magnitude = MathF.Abs(f) * ScaleToInfinity * ScaleToZero;
        uint w = BitConverter.SingleToUInt32Bits(f);
        uint twiceW = w + w;                       // drops the sign bit
        uint sign = w & 0x8000_0000u;
        uint bias = twiceW & 0xFF00_0000u;         // the exponent, shifted up by one
        if (bias < 0x7100_0000u) bias = 0x7100_0000u;
        magnitude = BitConverter.UInt32BitsToSingle((bias >> 1) + 0x0780_0000u) + magnitude;
        uint bits = BitConverter.SingleToUInt32Bits(magnitude);
        uint exponentBits = (bits >> 13) & 0x7C00u;
        uint mantissaBits = bits & 0x0FFFu;        // may carry into the exponent: that is the rounding up
        uint nonSign = twiceW > 0xFF00_0000u ? 0x7E00u : exponentBits + mantissaBits;
        return (ushort)((sign >> 16) | nonSign);
    }

    private static readonly float ScaleToInfinity = BitConverter.UInt32BitsToSingle(0x7780_0000u); // 2^112
    private static readonly float ScaleToZero = BitConverter.UInt32BitsToSingle(0x0880_0000u);     // 2^-110
    private static readonly float HalfExponentScale = BitConverter.UInt32BitsToSingle(0x0780_0000u); // 2^-112

    /// <summary>IEEE binary16 bits → float32 (exact; NaN payloads are carried over, as ggml does).</summary>
    internal static float HalfBitsToFloat(ushort h)
    {
        uint w = (uint)h << 16;
        uint sign = w & 0x8000_0000u;
        uint twiceW = w + w;
        // Normal (and inf/NaN) inputs: move exponent and mantissa into float32 position with the exponent biased up
        // by 224, then rescale by 2^-112 (the remaining bias difference); inf/NaN stay inf/NaN because of the extra 112.
        float normalized = BitConverter.UInt32BitsToSingle((twiceW >> 4) + (0xE0u << 23)) * HalfExponentScale;
        // Subnormal inputs: put the mantissa under the exponent of 0.5 and subtract 0.5, which is exact.
        float denormalized = BitConverter.UInt32BitsToSingle((twiceW >> 17) | (126u << 23)) - 0.5f;
        uint result = sign | (twiceW < (1u << 27) ? BitConverter.SingleToUInt32Bits(denormalized) : BitConverter.SingleToUInt32Bits(normalized));
        return BitConverter.UInt32BitsToSingle(result);
    }

    /// <summary>float32 → bfloat16 bits: round to nearest even on the top 16 bits; NaNs are truncated and made quiet.</summary>
    internal static ushort FloatToBF16Bits(float f)
    {
        uint u = BitConverter.SingleToUInt32Bits(f);
        if ((u & 0x7FFF_FFFFu) > 0x7F80_0000u) return (ushort)((u >> 16) | 64);
        return (ushort)((u + (0x7FFFu + ((u >> 16) & 1))) >> 16);
    }

    /// <summary>bfloat16 bits → float32 (exact).</summary>
    internal static float BF16BitsToFloat(ushort b) => BitConverter.UInt32BitsToSingle((uint)b << 16);

    /// <summary>
    /// Rounds to the nearest integer, ties to even, by ggml's trick: adding 1.5·2^23 leaves the integer in the low
    /// mantissa bits. Only meaningful for |x| ≤ 2^22 - 1; beyond that it returns what ggml returns (garbage), on purpose.
    /// </summary>
    internal static int NearestInt(float x)
    {
        float shifted = x + 12582912f;
        return (BitConverter.SingleToInt32Bits(shifted) & 0x007F_FFFF) - 0x0040_0000;
    }

    /// <summary>
    /// C's float → integer conversion as x86-64 compilers emit it (cvttss2si): truncation toward zero, and the
    /// "integer indefinite" value int.MinValue for NaN and out-of-range inputs. (.NET's own cast saturates instead.)
    /// C code that converts to int8_t/uint8_t then keeps the low byte of this.
    /// </summary>
    internal static int TruncateLikeC(float x) => x >= -2147483648f && x < 2147483648f ? (int)x : int.MinValue;

    /// <summary>C's roundf: nearest integer, ties away from zero.</summary>
    internal static float RoundHalfAwayFromZero(float x) => MathF.Round(x, MidpointRounding.AwayFromZero);

    private static float ReadHalf(ReadOnlySpan<byte> src, int offset) => HalfBitsToFloat(BinaryPrimitives.ReadUInt16LittleEndian(src[offset..]));

    private static void WriteHalf(Span<byte> dst, int offset, float value) => BinaryPrimitives.WriteUInt16LittleEndian(dst[offset..], FloatToHalfBits(value));

    // ---------------------------------------------------------------------------------------------------------------
    // F32 (4 bytes, little-endian), F16 (2 bytes, IEEE binary16), BF16 (2 bytes, the top half of a float32).
    // ---------------------------------------------------------------------------------------------------------------

    private static void DequantizeF32(ReadOnlySpan<byte> src, Span<float> dst)
    {
        for (int i = 0; i < dst.Length; i++) dst[i] = BinaryPrimitives.ReadSingleLittleEndian(src[(4 * i)..]);
    }

    private static void QuantizeF32(ReadOnlySpan<float> src, Span<byte> dst)
    {
        for (int i = 0; i < src.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(dst[(4 * i)..], src[i]);
    }

    private static void DequantizeF16(ReadOnlySpan<byte> src, Span<float> dst)
    {
        for (int i = 0; i < dst.Length; i++) dst[i] = ReadHalf(src, 2 * i);
    }

    private static void QuantizeF16(ReadOnlySpan<float> src, Span<byte> dst)
    {
        for (int i = 0; i < src.Length; i++) WriteHalf(dst, 2 * i, src[i]);
    }

    private static void DequantizeBF16(ReadOnlySpan<byte> src, Span<float> dst)
    {
        for (int i = 0; i < dst.Length; i++) dst[i] = BF16BitsToFloat(BinaryPrimitives.ReadUInt16LittleEndian(src[(2 * i)..]));
    }

    private static void QuantizeBF16(ReadOnlySpan<float> src, Span<byte> dst)
    {
        for (int i = 0; i < src.Length; i++) BinaryPrimitives.WriteUInt16LittleEndian(dst[(2 * i)..], FloatToBF16Bits(src[i]));
    }
}
