namespace Sapling.IO.Tests;

/// <summary>Builds tensors of any dtype and shape, scalars included (Tensor.FromSpan reads an empty shape as 1-D).</summary>
internal static class TensorFactory
{
    public static Tensor Make<T>(T[] values, params int[] shape) where T : unmanaged
    {
        var t = Tensor.Zeros(shape, DTypeOf<T>());
        // Tensor.AsSpan refuses empty shapes such as [2, 0, 3] (IsContiguous is false for them).
        if (values.Length > 0) values.CopyTo(t.AsSpan<T>());
        return t;
    }

    public static Tensor BFloat16(float[] values, params int[] shape)
    {
        if (values.Length == 0) return Tensor.Zeros(shape, DType.BFloat16);
        using var f = Make(values, shape);
        return f.To(DType.BFloat16);
    }

    public static DType DTypeOf<T>() => typeof(T) == typeof(float) ? DType.Float32
        : typeof(T) == typeof(double) ? DType.Float64
        : typeof(T) == typeof(ushort) ? DType.BFloat16
        : typeof(T) == typeof(Half) ? DType.Float16
        : typeof(T) == typeof(sbyte) ? DType.Int8
        : typeof(T) == typeof(int) ? DType.Int32
        : typeof(T) == typeof(long) ? DType.Int64
        : typeof(T) == typeof(bool) ? DType.Bool
        : throw new ArgumentException(typeof(T).Name);

    /// <summary>The raw element bits, so that -0.0 and NaN payloads count as differences.</summary>
    public static long[] Bits(Tensor t) => t.DType switch
    {
        DType.Float32 => t.ToArray<float>().Select(v => (long)BitConverter.SingleToInt32Bits(v)).ToArray(),
        DType.Float64 => t.ToArray<double>().Select(BitConverter.DoubleToInt64Bits).ToArray(),
        DType.BFloat16 => t.ToArray<ushort>().Select(v => (long)v).ToArray(),
        DType.Float16 => t.ToArray<Half>().Select(v => (long)BitConverter.HalfToInt16Bits(v)).ToArray(),
        DType.Int8 => t.ToArray<sbyte>().Select(v => (long)v).ToArray(),
        DType.Int32 => t.ToArray<int>().Select(v => (long)v).ToArray(),
        DType.Int64 => t.ToArray<long>(),
        DType.Bool => t.ToArray<bool>().Select(v => v ? 1L : 0L).ToArray(),
        _ => throw new ArgumentException(t.DType.ToString()),
    };

    public static void AssertSame(Tensor expected, Tensor actual)
    {
        Assert.Equal(expected.DType, actual.DType);
        Assert.Equal(expected.Shape, actual.Shape);
        Assert.Equal(Bits(expected), Bits(actual));
    }
}
