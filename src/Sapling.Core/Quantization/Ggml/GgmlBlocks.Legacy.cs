using System.Buffers.Binary;

namespace Sapling.Quantization.Ggml;

// The "legacy" 32-element quants. Every block stores one (or two) binary16 numbers and 32 small integers q:
//   _0 types (symmetric):  x ≈ d · (q − offset),  the offset centring the integer range (8 for 4 bits, 16 for 5 bits);
//   _1 types (affine):     x ≈ d · q + m.
// 4-bit values are packed two per byte with element j in the low nibble and element j + 16 in the high nibble of
// byte j; the 5-bit types keep the fifth bits apart in a little-endian uint32 (bit j belongs to element j).
public static partial class GgmlBlocks
{
    private const int LegacyBlock = 32;

    /// <summary>The signed value of largest magnitude (the first one when magnitudes tie), as the symmetric types pick their scale from it.</summary>
    private static float SignedAbsMax(ReadOnlySpan<float> x)
    {
        float amax = 0f, max = 0f;
        foreach (float v in x)
        {
            if (amax < MathF.Abs(v))
            {
                amax = MathF.Abs(v);
                max = v;
            }
        }
        return max;
    }

    /// <summary>Minimum and maximum with C's comparison semantics (a NaN never replaces the running value).</summary>
    private static (float Min, float Max) MinMax(ReadOnlySpan<float> x)
    {
        float min = float.MaxValue, max = -float.MaxValue;
        foreach (float v in x)
        {
            if (v < min) min = v;
            if (v > max) max = v;
        }
        return (min, max);
    }

    // ---- Q4_0: 18 bytes = f16 d | 16 bytes of nibbles.   x ≈ d · (q − 8), q ∈ [0, 15] -------------------------------

    private static void QuantizeQ4_0(ReadOnlySpan<float> src, Span<byte> dst, int blocks)
    {
        for (int b = 0; b < blocks; b++)
        {
            var x = src.Slice(b * LegacyBlock, LegacyBlock);
            var y = dst.Slice(b * 18, 18);
            // Dividing by −8 maps the extreme value to q = 0 (−8 after the offset), which lets the positive side reach
            // +7 and so uses all 16 levels; the sign of d follows from the sign of the extreme.
            float d = SignedAbsMax(x) / -8f;
            float id = d != 0f ? 1f / d : 0f;
            WriteHalf(y, 0, d);
            for (int j = 0; j < LegacyBlock / 2; j++)
            {
                // Truncating x/d + 8.5 rounds half up; C converts to int8 first, then caps at 15.
                int q0 = Math.Min(15, (int)(sbyte)TruncateLikeC(x[j] * id + 8.5f));
                int q1 = Math.Min(15, (int)(sbyte)TruncateLikeC(x[j + 16] * id + 8.5f));
                y[2 + j] = (byte)((byte)q0 | ((byte)q1 << 4));
            }
        }
    }

    private static void DequantizeQ4_0(ReadOnlySpan<byte> src, Span<float> dst, int blocks)
    {
        for (int b = 0; b < blocks; b++)
        {
            var x = src.Slice(b * 18, 18);
            var y = dst.Slice(b * LegacyBlock, LegacyBlock);
            float d = ReadHalf(x, 0);
            for (int j = 0; j < LegacyBlock / 2; j++)
            {
                y[j] = ((x[2 + j] & 0x0F) - 8) * d;
                y[j + 16] = ((x[2 + j] >> 4) - 8) * d;
            }
        }
    }

    // ---- Q4_1: 20 bytes = f16 d | f16 m | 16 bytes of nibbles.   x ≈ d · q + m, q ∈ [0, 15] ---------------------------

    private static void QuantizeQ4_1(ReadOnlySpan<float> src, Span<byte> dst, int blocks)
    {
        for (int b = 0; b < blocks; b++)
        {
            var x = src.Slice(b * LegacyBlock, LegacyBlock);
            var y = dst.Slice(b * 20, 20);
            var (min, max) = MinMax(x);
            float d = (max - min) / 15f;
            float id = d != 0f ? 1f / d : 0f;
            WriteHalf(y, 0, d);
            WriteHalf(y, 2, min);
            for (int j = 0; j < LegacyBlock / 2; j++)
            {
                int q0 = Math.Min(15, (int)(sbyte)TruncateLikeC((x[j] - min) * id + 0.5f));
                int q1 = Math.Min(15, (int)(sbyte)TruncateLikeC((x[j + 16] - min) * id + 0.5f));
                y[4 + j] = (byte)((byte)q0 | ((byte)q1 << 4));
            }
        }
    }

    private static void DequantizeQ4_1(ReadOnlySpan<byte> src, Span<float> dst, int blocks)
    {
        for (int b = 0; b < blocks; b++)
        {
            var x = src.Slice(b * 20, 20);
            var y = dst.Slice(b * LegacyBlock, LegacyBlock);
            float d = ReadHalf(x, 0), m = ReadHalf(x, 2);
            for (int j = 0; j < LegacyBlock / 2; j++)
            {
                y[j] = (x[4 + j] & 0x0F) * d + m;
                y[j + 16] = (x[4 + j] >> 4) * d + m;
            }
        }
    }

    // ---- Q5_0: 22 bytes = f16 d | u32 fifth bits | 16 bytes of nibbles.   x ≈ d · (q − 16), q ∈ [0, 31] -------------

    private static void QuantizeQ5_0(ReadOnlySpan<float> src, Span<byte> dst, int blocks)
    {
        for (int b = 0; b < blocks; b++)
        {
            var x = src.Slice(b * LegacyBlock, LegacyBlock);
            var y = dst.Slice(b * 22, 22);
            float d = SignedAbsMax(x) / -16f;   // as Q4_0: the extreme lands on q = 0
            float id = d != 0f ? 1f / d : 0f;
            WriteHalf(y, 0, d);
            uint high = 0;
            for (int j = 0; j < LegacyBlock / 2; j++)
            {
                byte q0 = (byte)Math.Min(31, (int)(sbyte)TruncateLikeC(x[j] * id + 16.5f));
                byte q1 = (byte)Math.Min(31, (int)(sbyte)TruncateLikeC(x[j + 16] * id + 16.5f));
                y[6 + j] = (byte)((q0 & 0x0F) | ((q1 & 0x0F) << 4));
                high |= (uint)((q0 & 0x10) >> 4) << j;
                high |= (uint)((q1 & 0x10) >> 4) << (j + 16);
            }
            BinaryPrimitives.WriteUInt32LittleEndian(y[2..], high);
        }
    }

    private static void DequantizeQ5_0(ReadOnlySpan<byte> src, Span<float> dst, int blocks)
    {
        for (int b = 0; b < blocks; b++)
        {
            var x = src.Slice(b * 22, 22);
            var y = dst.Slice(b * LegacyBlock, LegacyBlock);
            float d = ReadHalf(x, 0);
            uint high = BinaryPrimitives.ReadUInt32LittleEndian(x[2..]);
            for (int j = 0; j < LegacyBlock / 2; j++)
            {
                int h0 = (int)((high >> j) & 1) << 4;
                int h1 = (int)((high >> (j + 16)) & 1) << 4;
                y[j] = (((x[6 + j] & 0x0F) | h0) - 16) * d;
                y[j + 16] = (((x[6 + j] >> 4) | h1) - 16) * d;
            }
        }
    }

    // ---- Q5_1: 24 bytes = f16 d | f16 m | u32 fifth bits | 16 bytes of nibbles.   x ≈ d · q + m, q ∈ [0, 31] ---------

    private static void QuantizeQ5_1(ReadOnlySpan<float> src, Span<byte> dst, int blocks)
    {
        for (int b = 0; b < blocks; b++)
        {
            var x = src.Slice(b * LegacyBlock, LegacyBlock);
            var y = dst.Slice(b * 24, 24);
            var (min, max) = MinMax(x);
            float d = (max - min) / 31f;
            float id = d != 0f ? 1f / d : 0f;
            WriteHalf(y, 0, d);
            WriteHalf(y, 2, min);
            uint high = 0;
            for (int j = 0; j < LegacyBlock / 2; j++)
            {
                // No cap at 31 here (ggml has none): (max − min)/d rounds to at most 31.
                byte q0 = (byte)TruncateLikeC((x[j] - min) * id + 0.5f);
                byte q1 = (byte)TruncateLikeC((x[j + 16] - min) * id + 0.5f);
                y[8 + j] = (byte)((q0 & 0x0F) | ((q1 & 0x0F) << 4));
                high |= (uint)((q0 & 0x10) >> 4) << j;
                high |= (uint)((q1 & 0x10) >> 4) << (j + 16);
            }
            BinaryPrimitives.WriteUInt32LittleEndian(y[4..], high);
        }
    }

    private static void DequantizeQ5_1(ReadOnlySpan<byte> src, Span<float> dst, int blocks)
    {
        for (int b = 0; b < blocks; b++)
        {
            var x = src.Slice(b * 24, 24);
            var y = dst.Slice(b * LegacyBlock, LegacyBlock);
            float d = ReadHalf(x, 0), m = ReadHalf(x, 2);
            uint high = BinaryPrimitives.ReadUInt32LittleEndian(x[4..]);
            for (int j = 0; j < LegacyBlock / 2; j++)
            {
                int h0 = (int)((high >> j) & 1) << 4;
                int h1 = (int)((high >> (j + 16)) & 1) << 4;
                y[j] = ((x[8 + j] & 0x0F) | h0) * d + m;
                y[j + 16] = ((x[8 + j] >> 4) | h1) * d + m;
            }
        }
    }

    // ---- Q8_0: 34 bytes = f16 d | 32 int8.   x ≈ d · q, q ∈ [−127, 127] ---------------------------------------------

    private static void QuantizeQ8_0(ReadOnlySpan<float> src, Span<byte> dst, int blocks)
    {
        for (int b = 0; b < blocks; b++)
        {
            var x = src.Slice(b * LegacyBlock, LegacyBlock);
            var y = dst.Slice(b * 34, 34);
            float amax = 0f;
            foreach (float v in x) amax = amax > MathF.Abs(v) ? amax : MathF.Abs(v);
            float d = amax / 127f;
            float id = d != 0f ? 1f / d : 0f;
            WriteHalf(y, 0, d);
            // roundf (ties away from zero), then C's conversion to int8.
            for (int j = 0; j < LegacyBlock; j++) y[2 + j] = (byte)(sbyte)TruncateLikeC(RoundHalfAwayFromZero(x[j] * id));
        }
    }

    private static void DequantizeQ8_0(ReadOnlySpan<byte> src, Span<float> dst, int blocks)
    {
        for (int b = 0; b < blocks; b++)
        {
            var x = src.Slice(b * 34, 34);
            var y = dst.Slice(b * LegacyBlock, LegacyBlock);
            float d = ReadHalf(x, 0);
            for (int j = 0; j < LegacyBlock; j++) y[j] = (sbyte)x[2 + j] * d;
        }
    }
}
