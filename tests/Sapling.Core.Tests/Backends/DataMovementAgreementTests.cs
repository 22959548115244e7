using Sapling.Backends;
using Sapling.Backends.Cpu;
using Sapling.Backends.Reference;
using Sapling.Memory;

namespace Sapling.Core.Tests.Backends;

/// <summary>
/// Strided copies, fills, indexing and the dropout mask: the CPU backend against the reference, bit for bit (they only
/// move data, or add in the same order). Whole output arrays are compared, so a write outside the output is caught too.
/// </summary>
public class DataMovementAgreementTests
{
    private static readonly IKernels Fast = CpuKernels.Instance;
    private static readonly IKernels Reference = new ReferenceKernels();

    public static TheoryData<int> Sizes() => [.. KernelData.AwkwardWidths];

    /// <summary>Layouts of n elements: (shape, source offset, source strides, destination offset, destination strides).</summary>
    private static IEnumerable<(int[] Shape, int SrcOffset, int[] SrcStrides, int DstOffset, int[] DstStrides)> Layouts(int n)
    {
        yield return ([n], 2, [3], 0, [1]);                        // every third element
        yield return ([2, n], 1, [1, 2], 0, [n, 1]);               // a transposed [n, 2] matrix
        yield return ([n, 3], 4, [0, 1], 5, [3, 1]);               // a broadcast row
        yield return ([3, n], 0, [n, 1], 7, [1, 3]);               // scattered into a transposed destination
        yield return ([2, n, 3], 3, [1, 6, 2], 1, [3 * n, 3, 1]);  // a permuted 3-D view
        yield return ([n, 1, 2], 0, [2, 99, 1], 0, [2, 2, 1]);     // contiguous but for a size-1 dimension
        yield return ([], 5, [], 2, []);                            // a scalar
        yield return ([0, n], 1, [n, 1], 0, [n, 1]);               // empty
    }

    private static int Span(int[] shape, int[] strides)
    {
        int last = 0;
        for (int d = 0; d < shape.Length; d++)
        {
            if (shape[d] == 0) return 0;
            last += (shape[d] - 1) * strides[d];
        }
        return last + 1;
    }

    private static void CheckCopy<T>(int n, Func<Random, T> value) where T : unmanaged
    {
        var rng = new Random(n);
        foreach (var (shape, so, ss, dOff, ds) in Layouts(n))
        {
            var src = new T[so + Span(shape, ss) + 3];
            for (int i = 0; i < src.Length; i++) src[i] = value(rng);
            var expected = new T[dOff + Span(shape, ds) + 4];
            for (int i = 0; i < expected.Length; i++) expected[i] = value(rng);
            var actual = (T[])expected.Clone();
            Reference.CopyStrided(shape, src, so, ss, expected, dOff, ds);
            Fast.CopyStrided(shape, src, so, ss, actual, dOff, ds);
            Assert.Equal(expected, actual);
        }
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void CopyStridedAgreesForEveryElementType(int n)
    {
        CheckCopy(n, r => r.NextSingle() * 4 - 2);
        CheckCopy(n, r => r.NextInt64(long.MinValue, long.MaxValue));
        CheckCopy(n, r => r.Next());
        CheckCopy(n, r => r.Next(2) == 1);
        CheckCopy(n, r => (ushort)r.Next(65536));
        CheckCopy(n, r => (sbyte)r.Next(-128, 128));
    }

    /// <summary>Copies big enough to be split across workers: a permuted layout, a leading dimension of 1, a broadcast source and destination offsets.</summary>
    [Theory]
    [InlineData(new[] { 2, 64, 33, 17 }, new[] { 1, 0, 2, 3 })]
    [InlineData(new[] { 1, 3, 129, 257 }, new[] { 0, 2, 1, 3 })]
    [InlineData(new[] { 5, 1, 131, 101 }, new[] { 3, 1, 2, 0 })]
    public void LargeCopiesSplitAcrossWorkersAgree(int[] sourceShape, int[] permutation)
    {
        var rng = new Random(sourceShape.Sum());
        int n = sourceShape.Aggregate(1, (a, b) => a * b);
        Assert.True(n >= Sapling.Backends.Cpu.StridedCopy.ParallelThreshold);
        var src = new float[n + 3];
        for (int i = 0; i < src.Length; i++) src[i] = rng.NextSingle();
        var contiguous = Sapling.ShapeUtil.ContiguousStrides(sourceShape);
        var shape = permutation.Select(d => sourceShape[d]).ToArray();
        var strides = permutation.Select(d => contiguous[d]).ToArray();
        var expected = new float[n + 5];
        var actual = new float[n + 5];
        Reference.CopyStrided(shape, src, 3, strides, expected, 5, Sapling.ShapeUtil.ContiguousStrides(shape));
        Fast.CopyStrided(shape, src, 3, strides, actual, 5, Sapling.ShapeUtil.ContiguousStrides(shape));
        Assert.Equal(expected, actual);

        // A row broadcast down the first dimension (source stride 0) into a strided destination.
        int rows = shape[0], width = n / rows;
        var row = src.AsSpan(0, width).ToArray();
        var wide = new float[rows * (width + 2)];
        var wideExpected = new float[wide.Length];
        Reference.CopyStrided([rows, width], row, 0, [0, 1], wideExpected, 0, [width + 2, 1]);
        Fast.CopyStrided([rows, width], row, 0, [0, 1], wide, 0, [width + 2, 1]);
        Assert.Equal(wideExpected, wide);
    }

    [Fact]
    public void CopyStridedGathersATransposeInRowMajorOrder()
    {
        // [[0, 1, 2], [3, 4, 5]] read as its transpose.
        float[] src = [0, 1, 2, 3, 4, 5];
        var dst = new float[6];
        Reference.CopyStrided([3, 2], src, 0, [1, 3], dst, 0, [2, 1]);
        Assert.Equal([0f, 3, 1, 4, 2, 5], dst);
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void FillAgrees(int n)
    {
        var expected = KernelData.Output(n);
        var actual = KernelData.Output(n);
        Reference.Fill(expected, n, -0.75f);
        Fast.Fill(actual, n, -0.75f);
        KernelData.Equal(expected, actual, n, $"fill {n}");
        Assert.All(expected.Take(n), v => Assert.Equal(-0.75f, v));
    }

    private static readonly DType[] DTypes = [DType.Float32, DType.BFloat16, DType.Int8, DType.Int32, DType.Int64, DType.Bool];

    /// <summary>Values that test every rule: ±0, halves (ties), bf16 ties, beyond int8 and int32 range, infinities and NaN.</summary>
    private static float SpecialOrRandom(Random rng, int i) => (i % 16) switch
    {
        0 => 0f,
        1 => -0f,
        2 => float.NaN,
        3 => float.PositiveInfinity,
        4 => float.NegativeInfinity,
        5 => BitConverter.UInt32BitsToSingle(0x3F80_8000),   // a bf16 tie that rounds down to even
        6 => BitConverter.UInt32BitsToSingle(0x3F81_8000),   // a bf16 tie that rounds up to even
        7 => BitConverter.UInt32BitsToSingle(0x7F7F_FFFF),   // rounds up into infinity
        8 => -2.5f,
        9 => 300.75f,
        10 => -1e10f,
        11 => 3e9f,
        _ => (rng.NextSingle() - 0.5f) * 600f,
    };

    private static Array Source(DType dtype, int count, Random rng) => dtype switch
    {
        DType.Float32 => Enumerable.Range(0, count).Select(i => SpecialOrRandom(rng, i)).ToArray(),
        DType.BFloat16 => Enumerable.Range(0, count).Select(i => BFloat16.FromSingle(SpecialOrRandom(rng, i))).ToArray(),
        DType.Int8 => Enumerable.Range(0, count).Select(_ => (sbyte)rng.Next(-128, 128)).ToArray(),
        DType.Int32 => Enumerable.Range(0, count).Select(i => i % 3 == 0 ? rng.Next(int.MinValue, int.MaxValue) : rng.Next(-300, 300)).ToArray(),
        DType.Int64 => Enumerable.Range(0, count).Select(i => i % 3 == 0 ? rng.NextInt64(long.MinValue, long.MaxValue) : rng.Next(-300, 300)).ToArray(),
        DType.Bool => Enumerable.Range(0, count).Select(_ => rng.Next(2) == 1).ToArray(),
        _ => throw new ArgumentOutOfRangeException(nameof(dtype)),
    };

    private static Array Output(DType dtype, int count) => dtype switch
    {
        DType.Float32 => new float[count],
        DType.BFloat16 => new ushort[count],
        DType.Int8 => new sbyte[count],
        DType.Int32 => new int[count],
        DType.Int64 => new long[count],
        DType.Bool => new bool[count],
        _ => throw new ArgumentOutOfRangeException(nameof(dtype)),
    };

    [Theory]
    [MemberData(nameof(Sizes))]
    public void ConvertDTypeAgreesForEveryPair(int n)
    {
        var rng = new Random(n);
        foreach (var from in DTypes)
            foreach (var to in DTypes)
            {
                if (from == to) continue;
                var src = Source(from, n + 3, rng);
                var expected = Output(to, n + 2);
                var actual = Output(to, n + 2);
                Reference.ConvertDType(from, src, 3, to, expected, n);
                Fast.ConvertDType(from, src, 3, to, actual, n);
                // Compared as bits, so NaN payloads and signed zeros count.
                Assert.True(Bits(expected).SequenceEqual(Bits(actual)), $"{from.Name()} → {to.Name()} over {n} elements differs");
            }
    }

    private static IEnumerable<long> Bits(Array a) => a switch
    {
        float[] f => f.Select(v => (long)BitConverter.SingleToUInt32Bits(v)),
        ushort[] h => h.Select(v => (long)v),
        sbyte[] s => s.Select(v => (long)v),
        int[] i => i.Select(v => (long)v),
        long[] l => l,
        bool[] b => b.Select(v => v ? 1L : 0L),
        _ => throw new ArgumentException("unexpected array"),
    };

    [Fact]
    public void ReferenceConversionFollowsTheRules()
    {
        float[] src = [2.7f, -2.7f, 300f, float.NaN, BitConverter.UInt32BitsToSingle(0x3F80_8000), BitConverter.UInt32BitsToSingle(0x3F81_8000)];
        var i8 = new sbyte[6];
        Reference.ConvertDType(DType.Float32, src, 0, DType.Int8, i8, 6);
        Assert.Equal(new sbyte[] { 2, -2, 44, 0, 1, 1 }, i8);
        var bf = new ushort[6];
        Reference.ConvertDType(DType.Float32, src, 0, DType.BFloat16, bf, 6);
        Assert.Equal((ushort)0x3F80, bf[4]);
        Assert.Equal((ushort)0x3F82, bf[5]);
        Assert.True(float.IsNaN(BFloat16.ToSingle(bf[3])));
    }

    public static TheoryData<int, int, int, int> IndexPlans()
    {
        var data = new TheoryData<int, int, int, int>();
        foreach (int n in KernelData.AwkwardWidths)
        {
            data.Add(1, n, 1, Math.Max(1, n / 2));
            data.Add(3, 7, n, n);
            data.Add(n, 17, 3, 5);
        }
        data.Add(2, 5, 4, 0);
        return data;
    }

    private static long[] Indices(Random rng, int count, int size)
    {
        // Repeats on purpose: a scatter must add every contribution.
        var idx = new long[count];
        for (int i = 0; i < count; i++) idx[i] = i % 4 == 3 ? idx[i - 1] : rng.Next(size);
        return idx;
    }

    [Theory]
    [MemberData(nameof(IndexPlans))]
    public void IndexSelectAndIndexAddAgree(int outer, int size, int inner, int count)
    {
        var rng = new Random(outer * 7919 + size * 31 + inner);
        var idx = Indices(rng, count, size);
        var x = KernelData.Random(rng, outer * size * inner, offset: 3);
        var expected = KernelData.Output(outer * count * inner);
        var actual = KernelData.Output(outer * count * inner);
        Reference.IndexSelect(x, 3, outer, size, inner, idx, expected);
        Fast.IndexSelect(x, 3, outer, size, inner, idx, actual);
        KernelData.Equal(expected, actual, outer * count * inner, "index_select");

        var longs = Enumerable.Range(0, outer * size * inner + 1).Select(i => (long)i * 31 - 7).ToArray();
        var (le, la) = (new long[outer * count * inner + 2], new long[outer * count * inner + 2]);
        Reference.IndexSelect(longs, 1, outer, size, inner, idx, le);
        Fast.IndexSelect(longs, 1, outer, size, inner, idx, la);
        Assert.Equal(le, la);

        var dy = KernelData.Random(rng, outer * count * inner, offset: 1);
        var start = KernelData.Random(rng, outer * size * inner);
        var (ge, ga) = ((float[])start.Clone(), (float[])start.Clone());
        Reference.IndexAdd(dy, 1, outer, size, inner, idx, ge);
        Fast.IndexAdd(dy, 1, outer, size, inner, idx, ga);
        Assert.Equal(ge, ga);
    }

    /// <summary>A source view [a, b, c] stored transposed at an offset, and an index no larger than it except along dim.</summary>
    public static TheoryData<int, int> GatherPlans()
    {
        var data = new TheoryData<int, int>();
        foreach (int n in KernelData.AwkwardWidths)
            for (int dim = 0; dim < 3; dim++) data.Add(n, dim);
        return data;
    }

    [Theory]
    [MemberData(nameof(GatherPlans))]
    public void GatherAndScatterAddAgree(int n, int dim)
    {
        var rng = new Random(n * 3 + dim);
        int[] shape = [3, Math.Min(n, 65), 4];
        int[] strides = [1, 3 * 4, 3];                                 // a permuted [b, c, a] buffer
        int offset = 5;
        var src = KernelData.Random(rng, shape[0] * shape[1] * shape[2], offset);
        int[] indexShape = [2, Math.Max(1, shape[1] - 1), 3];
        indexShape[dim] = n;                                           // along dim, any number of picks
        int count = indexShape[0] * indexShape[1] * indexShape[2];
        var idx = Indices(rng, count, shape[dim]);
        var expected = KernelData.Output(count);
        var actual = KernelData.Output(count);
        Reference.Gather(src, offset, strides, dim, indexShape, idx, expected);
        Fast.Gather(src, offset, strides, dim, indexShape, idx, actual);
        KernelData.Equal(expected, actual, count, $"gather n={n} dim={dim}");

        // scatter_add from a source of the index's shape, and from a larger one read at the index's coordinates.
        int[] bigger = [indexShape[0] + 1, indexShape[1] + 2, indexShape[2] + 1];
        foreach (var sourceShape in new[] { indexShape, bigger })
        {
            var sourceStrides = ShapeUtil.ContiguousStrides(sourceShape);
            var values = KernelData.Random(rng, ShapeUtil.Numel(sourceShape), offset: 2);
            var target = KernelData.Random(rng, offset + shape[0] * shape[1] * shape[2]);
            var (te, ta) = ((float[])target.Clone(), (float[])target.Clone());
            Reference.ScatterAdd(values, 2, sourceStrides, dim, indexShape, idx, te, offset, strides);
            Fast.ScatterAdd(values, 2, sourceStrides, dim, indexShape, idx, ta, offset, strides);
            KernelData.Equal(te, ta, te.Length, $"scatter_add n={n} dim={dim} source {ShapeUtil.Format(sourceShape)}");
        }
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void WhereAgrees(int n)
    {
        var rng = new Random(n);
        var condition = Enumerable.Range(0, n + 2).Select(_ => rng.Next(2) == 1).ToArray();
        var a = KernelData.Random(rng, n, offset: 1);
        var b = KernelData.Random(rng, n, offset: 4);
        var expected = KernelData.Output(n);
        var actual = KernelData.Output(n);
        Reference.Where(condition, 2, a, 1, b, 4, expected, n);
        Fast.Where(condition, 2, a, 1, b, 4, actual, n);
        KernelData.Equal(expected, actual, n, $"where {n}");
    }

    public static TheoryData<int, int, int> TrianglePlans()
    {
        var data = new TheoryData<int, int, int>();
        foreach (int n in KernelData.AwkwardWidths)
        {
            data.Add(1, n, Math.Min(n, 33));
            data.Add(2, 7, n);
        }
        data.Add(3, 0, 5);
        return data;
    }

    [Theory]
    [MemberData(nameof(TrianglePlans))]
    public void TriangleAgrees(int matrices, int rows, int cols)
    {
        var rng = new Random(matrices * 100 + rows + cols);
        int count = matrices * rows * cols;
        var x = KernelData.Random(rng, count, offset: 3);
        foreach (int diagonal in new[] { -cols - 1, -2, 0, 1, 3, cols + 1 })
            foreach (bool lower in new[] { true, false })
            {
                var expected = KernelData.Output(count);
                var actual = KernelData.Output(count);
                Reference.Triangle(x, 3, expected, matrices, rows, cols, diagonal, lower);
                Fast.Triangle(x, 3, actual, matrices, rows, cols, diagonal, lower);
                KernelData.Equal(expected, actual, count, $"{(lower ? "tril" : "triu")} {matrices}x{rows}x{cols} diagonal {diagonal}");
            }
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void DropoutMaskAgreesAndLeavesTheStreamWhereItWas(int n)
    {
        foreach (float p in new[] { 0f, 0.1f, 0.5f, 1f })
        {
            var (g1, g2, g3) = (new Generator(77), new Generator(77), new Generator(77));
            var expected = KernelData.Output(n);
            var actual = KernelData.Output(n);
            Reference.DropoutMask(g1, p, expected, n);
            Fast.DropoutMask(g2, p, actual, n);
            KernelData.Equal(expected, actual, n, $"dropout mask p={p}");
            // The mask the tensor layer drew before the seam, element by element: one NextFloat each.
            float scale = p == 1f ? 0f : 1f / (1f - p);
            for (int i = 0; i < n; i++) Assert.Equal(g3.NextFloat() < p ? 0f : scale, expected[i]);
            Assert.Equal(g3.GetState(), g1.GetState());
            Assert.Equal(g3.GetState(), g2.GetState());
        }
    }
}
