using Sapling.Memory;

namespace Sapling.Backends.Cpu;

/// <summary>Element conversions between dtypes with PyTorch's rules (round-to-nearest-even into bf16, truncation into integers).</summary>
internal static class DTypeConversion
{
    /// <summary>Converts n elements of <paramref name="src"/> (storage of <paramref name="from"/>) into <paramref name="dst"/> from element 0.</summary>
    public static void Convert(DType from, Array src, int srcOffset, DType to, Array dst, int n)
    {
        switch (from, to)
        {
            case (DType.Float32, DType.BFloat16):
            {
                var s = ((float[])src).AsSpan(srcOffset, n);
                var d = ((ushort[])dst).AsSpan(0, n);
                for (int i = 0; i < n; i++) d[i] = BFloat16.FromSingle(s[i]);
                return;
            }
            case (DType.BFloat16, DType.Float32):
            {
                var s = ((ushort[])src).AsSpan(srcOffset, n);
                var d = ((float[])dst).AsSpan(0, n);
                for (int i = 0; i < n; i++) d[i] = BFloat16.ToSingle(s[i]);
                return;
            }
            case (DType.Float32, DType.Int8):
            {
                var s = ((float[])src).AsSpan(srcOffset, n);
                var d = ((sbyte[])dst).AsSpan(0, n);
                for (int i = 0; i < n; i++) d[i] = unchecked((sbyte)(int)s[i]);
                return;
            }
            case (DType.Float16, DType.Float32):
                System.Numerics.Tensors.TensorPrimitives.ConvertToSingle(((Half[])src).AsSpan(srcOffset, n), ((float[])dst).AsSpan(0, n));
                return;
            case (DType.Float32, DType.Float16):
                System.Numerics.Tensors.TensorPrimitives.ConvertToHalf(((float[])src).AsSpan(srcOffset, n), ((Half[])dst).AsSpan(0, n));
                return;
            case (DType.Int8, DType.Float32):
            {
                var s = ((sbyte[])src).AsSpan(srcOffset, n);
                var d = ((float[])dst).AsSpan(0, n);
                for (int i = 0; i < n; i++) d[i] = s[i];
                return;
            }
        }
        // Everything else goes through double, which holds every value of every supported dtype exactly.
        var buffer = new double[n];
        Read(from, src, srcOffset, buffer);
        Write(buffer, to, dst);
    }

    private static void Read(DType dtype, Array array, int offset, Span<double> into)
    {
        int n = into.Length;
        switch (dtype)
        {
            case DType.Float32: { var s = ((float[])array).AsSpan(offset, n); for (int i = 0; i < n; i++) into[i] = s[i]; break; }
            case DType.Float64: ((double[])array).AsSpan(offset, n).CopyTo(into); break;
            case DType.BFloat16: { var s = ((ushort[])array).AsSpan(offset, n); for (int i = 0; i < n; i++) into[i] = BFloat16.ToSingle(s[i]); break; }
            case DType.Float16: { var s = ((Half[])array).AsSpan(offset, n); for (int i = 0; i < n; i++) into[i] = (double)s[i]; break; }
            case DType.Int8: { var s = ((sbyte[])array).AsSpan(offset, n); for (int i = 0; i < n; i++) into[i] = s[i]; break; }
            case DType.Int32: { var s = ((int[])array).AsSpan(offset, n); for (int i = 0; i < n; i++) into[i] = s[i]; break; }
            case DType.Int64: { var s = ((long[])array).AsSpan(offset, n); for (int i = 0; i < n; i++) into[i] = s[i]; break; }
            case DType.Bool: { var s = ((bool[])array).AsSpan(offset, n); for (int i = 0; i < n; i++) into[i] = s[i] ? 1 : 0; break; }
            default: throw new NotSupportedException($"conversion from {dtype.Name()}");
        }
    }

    private static void Write(ReadOnlySpan<double> from, DType dtype, Array array)
    {
        int n = from.Length;
        switch (dtype)
        {
            case DType.Float32: { var d = ((float[])array).AsSpan(0, n); for (int i = 0; i < n; i++) d[i] = (float)from[i]; break; }
            case DType.Float64: from.CopyTo(((double[])array).AsSpan(0, n)); break;
            case DType.BFloat16: { var d = ((ushort[])array).AsSpan(0, n); for (int i = 0; i < n; i++) d[i] = BFloat16.FromSingle((float)from[i]); break; }
            case DType.Float16: { var d = ((Half[])array).AsSpan(0, n); for (int i = 0; i < n; i++) d[i] = (Half)from[i]; break; }
            case DType.Int8: { var d = ((sbyte[])array).AsSpan(0, n); for (int i = 0; i < n; i++) d[i] = unchecked((sbyte)(long)from[i]); break; }
            case DType.Int32: { var d = ((int[])array).AsSpan(0, n); for (int i = 0; i < n; i++) d[i] = unchecked((int)(long)from[i]); break; }
            case DType.Int64: { var d = ((long[])array).AsSpan(0, n); for (int i = 0; i < n; i++) d[i] = (long)from[i]; break; }
            case DType.Bool: { var d = ((bool[])array).AsSpan(0, n); for (int i = 0; i < n; i++) d[i] = from[i] != 0; break; }
            default: throw new NotSupportedException($"conversion to {dtype.Name()}");
        }
    }
}
