using System.Runtime.CompilerServices;

namespace Sapling.Memory;

/// <summary>Conversions between float32 and bfloat16 bit patterns (the top 16 bits of a float32).</summary>
public static class BFloat16
{
    /// <summary>Round to nearest, ties to even, as PyTorch and the hardware BF16 instructions do; NaN stays NaN.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ushort FromSingle(float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        if ((bits & 0x7FFF_FFFF) > 0x7F80_0000) return (ushort)((bits >> 16) | 0x0040);
        uint roundingBias = 0x7FFF + ((bits >> 16) & 1);
        return (ushort)((bits + roundingBias) >> 16);
    }

    /// <summary>Widens a bfloat16 bit pattern to its float32 value (exact: the low 16 bits are zero).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float ToSingle(ushort value) => BitConverter.UInt32BitsToSingle((uint)value << 16);
}
