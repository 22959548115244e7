using Sapling.Memory;

namespace Sapling;

public sealed partial class Tensor
{
    /// <summary>
    /// A float32 tensor of the given shape whose contents are undefined (whatever the pooled buffer held).
    /// </summary>
    public static Tensor Empty(params int[] shape) => Uninitialized(DType.Float32, CheckShape("empty", shape));

    /// <summary>A float32 tensor of the given shape filled with zeros.</summary>
    public static Tensor Zeros(params int[] shape) => Allocate(DType.Float32, CheckShape("zeros", shape), zero: true);

    /// <summary>
    /// A tensor of <paramref name="dtype"/> filled with zeros (all-zero bits; any dtype with element storage).
    /// </summary>
    public static Tensor Zeros(int[] shape, DType dtype) => Allocate(dtype, CheckShape("zeros", shape), zero: true);

    /// <summary>A float32 tensor of the given shape filled with ones.</summary>
    public static Tensor Ones(params int[] shape) => Full(shape, 1f);

    /// <summary>A tensor of <paramref name="dtype"/> (float32 or float64) with every element <paramref name="value"/>.</summary>
    public static Tensor Full(int[] shape, double value, DType dtype = DType.Float32)
    {
        var t = Uninitialized(RequireCreatable("full", dtype), CheckShape("full", shape));
        if (!t.IsMeta) TensorKernels.For(dtype).Fill(t, value);
        return t;
    }

    /// <summary>
    /// A rank-0 tensor holding <paramref name="value"/>, of <paramref name="dtype"/> (float32 or float64).
    /// </summary>
    public static Tensor Scalar(double value, DType dtype = DType.Float32) => Full([], value, dtype);

    /// <summary>Zeros in the shape and dtype of <paramref name="t"/>.</summary>
    public static Tensor ZerosLike(Tensor t) => Allocate(t.DType, (int[])t.shape.Clone(), zero: true);

    /// <summary>
    /// Ones in the shape of <paramref name="t"/>: in its dtype when that is float32 or float64, otherwise in
    /// float32 (unlike <see cref="ZerosLike"/>, which keeps any dtype).
    /// </summary>
    public static Tensor OnesLike(Tensor t) => Full((int[])t.shape.Clone(), 1, t.DType.IsComputeType() ? t.DType : DType.Float32);

    /// <summary>
    /// An uninitialised tensor in the shape of <paramref name="t"/>: in its dtype when that is float32 or
    /// float64, otherwise in float32.
    /// </summary>
    public static Tensor EmptyLike(Tensor t) => Uninitialized(t.DType.IsComputeType() ? t.DType : DType.Float32, (int[])t.shape.Clone());

    /// <summary>Values start, start+step, ... below end (float32), as torch.arange with float arguments.</summary>
    public static Tensor Arange(float start, float end, float step = 1f)
    {
        if (step == 0 || float.IsNaN(step)) throw new ArgumentException("arange: step must be non-zero");
        int n = Math.Max(0, (int)Math.Ceiling((end - start) / (double)step));
        var t = Uninitialized(DType.Float32, [n]);
        var span = t.AsSpan();
        for (int i = 0; i < n; i++) span[i] = (float)(start + i * (double)step);
        return t;
    }

    /// <summary>0, 1, ..., n-1 as int64 (torch.arange(n)).</summary>
    public static Tensor ArangeLong(long n) => ArangeLong(0, n);

    /// <summary>The int64 values start, start + 1, ... below end (torch.arange(start, end) with integer arguments).</summary>
    public static Tensor ArangeLong(long start, long end)
    {
        if (end < start) throw new ArgumentException($"arange: end {end} is below start {start}");
        var t = Uninitialized(DType.Int64, [checked((int)(end - start))]);
        var span = t.AsSpan<long>();
        for (int i = 0; i < span.Length; i++) span[i] = start + i;
        return t;
    }

    /// <summary>
    /// A float32 identity matrix of <paramref name="n"/> rows and <paramref name="m"/> columns (square when
    /// <paramref name="m"/> is null): ones on the main diagonal, zeros elsewhere.
    /// </summary>
    public static Tensor Eye(int n, int? m = null)
    {
        int cols = m ?? n;
        var t = Zeros(n, cols);
        var span = t.AsSpan();
        for (int i = 0; i < Math.Min(n, cols); i++) span[i * cols + i] = 1f;
        return t;
    }

    /// <summary>Copies <paramref name="data"/> into a new tensor of the given shape (a 1-D tensor when no shape is given).</summary>
    public static Tensor FromArray(float[] data, params int[] shape) => FromSpan<float>(data, shape);

    /// <summary>
    /// Copies <paramref name="data"/> into a new float64 tensor of the given shape (1-D when no shape is given).
    /// </summary>
    public static Tensor FromArray(double[] data, params int[] shape) => FromSpan<double>(data, shape);

    /// <summary>
    /// Copies <paramref name="data"/> into a new int64 tensor of the given shape (1-D when no shape is given).
    /// </summary>
    public static Tensor FromArray(long[] data, params int[] shape) => FromSpan<long>(data, shape);

    /// <summary>
    /// Copies <paramref name="data"/> into a new int32 tensor of the given shape (1-D when no shape is given).
    /// </summary>
    public static Tensor FromArray(int[] data, params int[] shape) => FromSpan<int>(data, shape);

    /// <summary>
    /// Copies <paramref name="data"/> into a new bool tensor of the given shape (1-D when no shape is given).
    /// </summary>
    public static Tensor FromArray(bool[] data, params int[] shape) => FromSpan<bool>(data, shape);

    /// <summary>
    /// Copies <paramref name="data"/> into a new tensor whose dtype follows <typeparamref name="T"/>, of the given
    /// shape (1-D when no shape is given); the element count must match the shape.
    /// </summary>
    public static Tensor FromSpan<T>(ReadOnlySpan<T> data, params int[] shape) where T : unmanaged
    {
        shape = shape.Length == 0 ? [data.Length] : CheckShape("from_array", shape);
        int n = ShapeUtil.Numel(shape);
        if (n != data.Length)
            throw new ArgumentException($"from_array: {data.Length} values do not fill shape {ShapeUtil.Format(shape)} ({n} elements)");
        var t = Uninitialized(StorageTypes.DTypeOf<T>(), shape);
        data.CopyTo(t.AsSpan<T>());
        return t;
    }

    /// <summary>Wraps an existing array without copying; writes through the tensor change the array.</summary>
    public static Tensor Wrap(float[] data, params int[] shape)
    {
        shape = shape.Length == 0 ? [data.Length] : shape;
        if (ShapeUtil.Numel(shape) != data.Length)
            throw new ArgumentException($"wrap: {data.Length} values do not fill shape {ShapeUtil.Format(shape)}");
        return new Tensor(TensorMemory.Wrap(data), (int[])shape.Clone(), ShapeUtil.ContiguousStrides(shape), 0);
    }

    /// <summary>Uniform samples in [0, 1): 24 random bits each in float32, 53 in float64.</summary>
    public static Tensor Rand(int[] shape, Generator? generator = null, DType dtype = DType.Float32)
    {
        var g = generator ?? Generator.Default;
        var t = Uninitialized(RequireCreatable("rand", dtype), CheckShape("rand", shape));
        if (dtype == DType.Float64)
        {
            var doubles = t.AsSpan<double>();
            for (int i = 0; i < doubles.Length; i++) doubles[i] = g.NextDouble();
            return t;
        }
        var span = t.AsSpan();
        for (int i = 0; i < span.Length; i++) span[i] = g.NextFloat();
        return t;
    }

    /// <summary>Standard normal samples; the same draws in either dtype, rounded to float32 there.</summary>
    public static Tensor Randn(int[] shape, Generator? generator = null, DType dtype = DType.Float32)
    {
        var g = generator ?? Generator.Default;
        var t = Uninitialized(RequireCreatable("randn", dtype), CheckShape("randn", shape));
        if (dtype == DType.Float64)
        {
            var doubles = t.AsSpan<double>();
            for (int i = 0; i < doubles.Length; i++) doubles[i] = g.NextNormal();
            return t;
        }
        var span = t.AsSpan();
        for (int i = 0; i < span.Length; i++) span[i] = (float)g.NextNormal();
        return t;
    }

    private static DType RequireCreatable(string op, DType dtype)
        => dtype.IsComputeType() ? dtype : throw new ArgumentException($"{op}: dtype must be float32 or float64, got {dtype.Name()}");

    /// <summary>Uniform integers in [low, high) as int64.</summary>
    public static Tensor RandInt(long low, long high, int[] shape, Generator? generator = null)
    {
        var g = generator ?? Generator.Default;
        var t = Uninitialized(DType.Int64, CheckShape("randint", shape));
        var span = t.AsSpan<long>();
        for (int i = 0; i < span.Length; i++) span[i] = g.NextInt64(low, high);
        return t;
    }

    /// <summary>A random permutation of 0..n-1 (int64), Fisher-Yates.</summary>
    public static Tensor RandPerm(int n, Generator? generator = null)
    {
        var g = generator ?? Generator.Default;
        var t = ArangeLong(n);
        var span = t.AsSpan<long>();
        for (int i = n - 1; i > 0; i--)
        {
            int j = (int)g.NextInt64(0, i + 1);
            (span[i], span[j]) = (span[j], span[i]);
        }
        return t;
    }

    private static int[] CheckShape(string op, int[] shape)
    {
        foreach (int d in shape)
            if (d < 0) throw new ArgumentException($"{op}: negative dimension in shape {ShapeUtil.Format(shape)}");
        return (int[])shape.Clone();
    }
}
