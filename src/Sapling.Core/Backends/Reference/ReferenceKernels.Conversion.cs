namespace Sapling.Backends.Reference;

// Dtype conversion from the rules, one element at a time: read the value exactly (as double, which holds every value
// of every dtype), then write it with the target's rule.
public sealed partial class ReferenceKernels
{
    /// <inheritdoc/>
    public void ConvertDType(DType from, Array src, int srcOffset, DType to, Array dst, int n)
    {
        for (int i = 0; i < n; i++)
        {
            double v = Read(from, src, srcOffset + i);
            switch (to)
            {
                case DType.Float32: ((float[])dst)[i] = (float)v; break;
                case DType.Float64: ((double[])dst)[i] = v; break;
                case DType.BFloat16: ((ushort[])dst)[i] = RoundToBFloat16((float)v); break;
                // IEEE rounding to nearest even from the exact value (double → half rounds once).
                case DType.Float16: ((Half[])dst)[i] = (Half)v; break;
                // Truncation toward zero (saturating in the integer it first lands in), then the low 8/32 bits. The
                // fast path takes float32 through int32 and everything else through int64; the two only differ for
                // |x| ≥ 2³¹, which PyTorch leaves undefined, and this oracle follows the fast path there too.
                case DType.Int8: ((sbyte[])dst)[i] = unchecked((sbyte)TruncateForInt8(v, from)); break;
                case DType.Int32: ((int[])dst)[i] = unchecked((int)(long)v); break;
                case DType.Int64: ((long[])dst)[i] = (long)v; break;
                case DType.Bool: ((bool[])dst)[i] = v != 0; break;
                default: throw new NotSupportedException($"conversion to {to.Name()}");
            }
        }
    }

    /// <summary>
    /// v truncated toward zero for an int8 target: into int32 from float32, as the fast path does, else into int64;
    /// saturating, NaN gives 0.
    /// </summary>
    private static long TruncateForInt8(double v, DType from) => from == DType.Float32 ? (int)v : (long)v;

    // Every arm is cast to double: left to itself, the switch would take float (its first arm's type) and round the integers.
    private static double Read(DType dtype, Array array, int at) => dtype switch
    {
        DType.Float32 => (double)((float[])array)[at],
        DType.Float64 => ((double[])array)[at],
        // bf16 is the top half of a float32.
        DType.BFloat16 => (double)BitConverter.UInt32BitsToSingle((uint)((ushort[])array)[at] << 16),
        DType.Float16 => (double)((Half[])array)[at],
        DType.Int8 => (double)((sbyte[])array)[at],
        DType.Int32 => (double)((int[])array)[at],
        DType.Int64 => (double)((long[])array)[at],
        DType.Bool => ((bool[])array)[at] ? 1.0 : 0.0,
        _ => throw new NotSupportedException($"conversion from {dtype.Name()}"),
    };

    /// <summary>
    /// Keeps the top 16 bits of the float32, rounding the dropped 16 to nearest with ties to even (a carry may roll into
    /// the exponent, giving infinity past bf16's range). A NaN stays a NaN: its top bits with the quiet bit set.
    /// </summary>
    internal static ushort RoundToBFloat16(float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        uint upper = bits >> 16, dropped = bits & 0xFFFF;
        if (float.IsNaN(value)) return (ushort)(upper | 0x0040);
        if (dropped > 0x8000 || (dropped == 0x8000 && (upper & 1) == 1)) upper++;
        return (ushort)upper;
    }
}
