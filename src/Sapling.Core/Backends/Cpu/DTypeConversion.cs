using Sapling.Memory;

namespace Sapling.Backends.Cpu;

/// <summary>Element conversions between dtypes with PyTorch's rules (round-to-nearest-even into bf16, truncation into integers).</summary>
internal static class DTypeConversion
{
    public static void Convert(Tensor src, Tensor dst)
    {
        int n = src.NumEl;
        switch (src.DType, dst.DType)
        {
            case (DType.Float32, DType.BFloat16):
            {
                var s = src.AsSpan<float>();
                var d = dst.AsSpan<ushort>();
                for (int i = 0; i < n; i++) d[i] = BFloat16.FromSingle(s[i]);
                return;
            }
            case (DType.BFloat16, DType.Float32):
            {
                var s = src.AsSpan<ushort>();
                var d = dst.AsSpan<float>();
                for (int i = 0; i < n; i++) d[i] = BFloat16.ToSingle(s[i]);
                return;
            }
            case (DType.Float32, DType.Int8):
            {
                var s = src.AsSpan<float>();
                var d = dst.AsSpan<sbyte>();
                for (int i = 0; i < n; i++) d[i] = unchecked((sbyte)(int)s[i]);
                return;
            }
            case (DType.Int8, DType.Float32):
            {
                var s = src.AsSpan<sbyte>();
                var d = dst.AsSpan<float>();
                for (int i = 0; i < n; i++) d[i] = s[i];
                return;
            }
        }
        // Everything else goes through double, which holds every value of every supported dtype exactly.
        var buffer = new double[n];
        Read(src, buffer);
        Write(buffer, dst);
    }

    private static void Read(Tensor t, Span<double> into)
    {
        switch (t.DType)
        {
            case DType.Float32: { var s = t.AsSpan<float>(); for (int i = 0; i < s.Length; i++) into[i] = s[i]; break; }
            case DType.BFloat16: { var s = t.AsSpan<ushort>(); for (int i = 0; i < s.Length; i++) into[i] = BFloat16.ToSingle(s[i]); break; }
            case DType.Int8: { var s = t.AsSpan<sbyte>(); for (int i = 0; i < s.Length; i++) into[i] = s[i]; break; }
            case DType.Int32: { var s = t.AsSpan<int>(); for (int i = 0; i < s.Length; i++) into[i] = s[i]; break; }
            case DType.Int64: { var s = t.AsSpan<long>(); for (int i = 0; i < s.Length; i++) into[i] = s[i]; break; }
            case DType.Bool: { var s = t.AsSpan<bool>(); for (int i = 0; i < s.Length; i++) into[i] = s[i] ? 1 : 0; break; }
        }
    }

    private static void Write(ReadOnlySpan<double> from, Tensor t)
    {
        switch (t.DType)
        {
            case DType.Float32: { var d = t.AsSpan<float>(); for (int i = 0; i < d.Length; i++) d[i] = (float)from[i]; break; }
            case DType.BFloat16: { var d = t.AsSpan<ushort>(); for (int i = 0; i < d.Length; i++) d[i] = BFloat16.FromSingle((float)from[i]); break; }
            case DType.Int8: { var d = t.AsSpan<sbyte>(); for (int i = 0; i < d.Length; i++) d[i] = unchecked((sbyte)(long)from[i]); break; }
            case DType.Int32: { var d = t.AsSpan<int>(); for (int i = 0; i < d.Length; i++) d[i] = unchecked((int)(long)from[i]); break; }
            case DType.Int64: { var d = t.AsSpan<long>(); for (int i = 0; i < d.Length; i++) d[i] = (long)from[i]; break; }
            case DType.Bool: { var d = t.AsSpan<bool>(); for (int i = 0; i < d.Length; i++) d[i] = from[i] != 0; break; }
        }
    }
}
