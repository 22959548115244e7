using Sapling.Backends;
using Sapling.Backends.Cpu;
using Sapling.Backends.Reference;
using Sapling.Memory;
using Sapling.Quantization.Ggml;
using Sapling.Testing;
using Xunit.Sdk;

namespace Sapling.Core.Tests.Backends;

/// <summary>
/// Products with ggml's block-quantised weights (Q4_0 .. Q6_K) read in place: linear on the integer path (at most
/// four activation rows, activations quantised to 8 bits as llama.cpp does; AVX-512BW, and not Q2_K / Q3_K), the decode-to-float32
/// path (Q2_K, Q3_K, no AVX-512) and the panel path (more rows), each against the float32 product of the dequantised
/// weight and against the reference kernels; embedding of a quantised table; the input gradient through a frozen
/// quantised weight; the refusals; and the split of a large product among the workers.
/// </summary>
public class BlockQuantKernelTests
{
    private static readonly IKernels Reference = new ReferenceKernels();

    public static readonly DType[] BlockTypes =
        [DType.Q4_0, DType.Q4_1, DType.Q5_0, DType.Q5_1, DType.Q8_0, DType.Q2_K, DType.Q3_K, DType.Q4_K, DType.Q5_K, DType.Q6_K];

    public static TheoryData<DType> AllBlockTypes() => new(BlockTypes);

    public static TheoryData<DType, int> TypesAndRows()
    {
        var data = new TheoryData<DType, int>();
        foreach (var dtype in BlockTypes)
            foreach (int m in new[] { 1, 2, 3, 4, 5, 16, 17, 37 })
                data.Add(dtype, m);
        return data;
    }

    private static bool IsKQuant(DType dtype) => dtype.ToGgml().BlockSize() == 256;

    /// <summary>
    /// Columns of a test weight: three K-quant super-blocks (768), or seventeen 32-element blocks for the legacy types
    /// (544: an odd block count, and not a multiple of 256).
    /// </summary>
    private static int ColumnsFor(DType dtype) => IsKQuant(dtype) ? 768 : 544;

    /// <summary>
    /// A [rows, cols] weight of <paramref name="dtype"/> in native memory, quantised row by row with ggml's reference
    /// quantiser from normals whose scale varies by row (with a few heavy-tailed weights), and its exact decoding.
    /// </summary>
    internal static (Tensor Stored, float[] Decoded) MakeWeight(DType dtype, int rows, int cols, int seed)
    {
        var rng = new Random(seed);
        var values = Tensor.Randn([rows, cols], new Generator((ulong)seed)).ToArray();
        for (int r = 0; r < rows; r++)
        {
            float scale = 0.02f * (1 + r % 7);
            for (int c = 0; c < cols; c++) values[r * cols + c] *= rng.NextDouble() < 0.01 ? 20 * scale : scale;
        }
        var type = dtype.ToGgml();
        int rowBytes = checked((int)type.ByteCount(cols));
        var storage = new NativeStorage(dtype, rows * cols);
        var bytes = storage.Bytes;
        Assert.Equal((long)rows * rowBytes, bytes.Length);
        var decoded = new float[rows * cols];
        for (int r = 0; r < rows; r++)
        {
            GgmlBlocks.Quantize(type, values.AsSpan(r * cols, cols), bytes.Slice(r * rowBytes, rowBytes));
            GgmlBlocks.Dequantize(type, bytes.Slice(r * rowBytes, rowBytes), decoded.AsSpan(r * cols, cols));
        }
        var stored = Tensor.FromStorage(storage, rows, cols);
        Assert.Equal(dtype, stored.DType);
        return (stored, decoded);
    }

    /// <summary>
    /// m activation rows of normals; row 1 (when there is one) has an outlier 60× the others in one block, row 2 is all
    /// zeros, and row 3 is small (a scale of 1e-2) — the rows the per-block activation quantiser treats differently.
    /// </summary>
    internal static float[] Activations(int m, int cols, int seed)
    {
        var x = Tensor.Randn([m, cols], new Generator((ulong)seed)).ToArray();
        if (m > 1) x[cols + 37] = 60f;
        if (m > 2) Array.Clear(x, 2 * cols, cols);
        if (m > 3)
            for (int c = 0; c < cols; c++) x[3 * cols + c] *= 1e-2f;
        return x;
    }

    /// <summary>
    /// The most the integer path may differ from the exact product of the decoded weight, element (i, j). The
    /// activations are quantised as llama.cpp pairs them with the weight type: Q8_0 for Q4_0, Q5_0, Q8_0 and Q8_1 for
    /// Q4_1, Q5_1 (per 32 elements: d = amax/127, q = round(x/d), d kept as float16 dh), Q8_K for the K-quants (per 256
    /// elements: d = max/−127 kept as float32). |x − d·q| ≤ |d|/2 and |q| ≤ 127, so each element of x moves by at most
    /// δ = |d|/2 + 127·|d − dh| and the product by at most Σ_groups δ·Σ|w| over the group. Q8_1 also keeps the block
    /// sum Σx̃ rounded to float16 (u = fp16(d·S), S = Σq, |S| ≤ Σ|x|/d + 16) for the weight's offset m, |m| ≤ max|w|
    /// in the block (the element that quantised to 0 decodes to m): |m|·(|u − d·S| + |d − dh|·|S|) more. The float32
    /// sums (the kernel's and the float32 GEMM of the expected value) add a few ulps of Σ|w||x|, allowed separately.
    /// </summary>
    internal static double[] IntegerPathBound(DType dtype, float[] x, int m, float[] w, int rows, int cols)
    {
        bool kQuant = IsKQuant(dtype), roundedSums = dtype is DType.Q4_1 or DType.Q5_1;
        int group = kQuant ? 256 : 32, groups = cols / group;
        var delta = new double[m * groups];
        var sumError = new double[m * groups];
        for (int i = 0; i < m; i++)
            for (int g = 0; g < groups; g++)
            {
                float amax = 0, l1 = 0;
                for (int e = 0; e < group; e++)
                {
                    amax = MathF.Max(amax, MathF.Abs(x[i * cols + g * group + e]));
                    l1 += MathF.Abs(x[i * cols + g * group + e]);
                }
                double d = amax / 127.0;
                double dh = kQuant ? d : (double)(float)(Half)(float)d;
                // The roundings of 127/amax and of x·(127/amax) in float32: a relative 1e-6 of amax covers them.
                delta[i * groups + g] = d / 2 * (1 + 1e-6) + 127 * Math.Abs(d - dh) + 1e-6 * amax;
                if (roundedSums && amax > 0)
                {
                    double s = l1 / d + 16;
                    sumError[i * groups + g] = Math.Abs(d - dh) * s + Math.Pow(2, -11) * (l1 + 16 * d) + Math.Pow(2, -25);
                }
            }
        var bound = new double[m * rows];
        for (int j = 0; j < rows; j++)
            for (int g = 0; g < groups; g++)
            {
                double l1 = 0, max = 0;
                for (int e = 0; e < group; e++)
                {
                    double a = Math.Abs(w[j * cols + g * group + e]);
                    l1 += a;
                    max = Math.Max(max, a);
                }
                for (int i = 0; i < m; i++) bound[i * rows + j] += delta[i * groups + g] * l1 + sumError[i * groups + g] * max;
            }
        return bound;
    }

    /// <summary>Σ_p |w[j, p]|·|x[i, p]|, the scale of the rounding error of any float32 evaluation of element (i, j).</summary>
    internal static double[] Magnitudes(float[] x, int m, float[] w, int rows, int cols)
    {
        var result = new double[m * rows];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < rows; j++)
            {
                double s = 0;
                for (int p = 0; p < cols; p++) s += Math.Abs((double)x[i * cols + p] * w[j * cols + p]);
                result[i * rows + j] = s;
            }
        return result;
    }

    /// <summary>|actual − expected| ≤ bound + rtol·magnitude + atol everywhere, reporting the worst element.</summary>
    internal static void AssertWithin(Tensor expected, Tensor actual, double[]? bound, double[] magnitude, double rtol, double atol, string what)
    {
        Assert.Equal(expected.Shape.ToArray(), actual.Shape.ToArray());
        var e = expected.ToArray();
        var a = actual.ToArray();
        Assert.Equal(magnitude.Length, e.Length);
        double worst = 0;
        int at = -1;
        for (int n = 0; n < e.Length; n++)
        {
            double allowed = (bound?[n] ?? 0) + rtol * magnitude[n] + atol;
            double err = Math.Abs((double)a[n] - e[n]);
            double excess = double.IsNaN(err) ? double.PositiveInfinity : err / allowed;
            if (excess > 1 && excess > worst) (worst, at) = (excess, n);
        }
        if (at >= 0)
            throw new XunitException($"{what}: element {at} is {a[at]:G9}, expected {e[at]:G9}: |diff| {Math.Abs((double)a[at] - e[at]):G3} > allowed "
                + $"{(bound?[at] ?? 0) + rtol * magnitude[at] + atol:G3} (Σ|w||x| {magnitude[at]:G3}), {worst:G3}× over");
    }

    /// <summary>Whether a product with <paramref name="m"/> activation rows takes the integer kernels (up to 16 rows, a decoding batch).</summary>
    internal static bool IsIntegerPath(DType dtype, int m) =>
        m <= StoredWeightKernels.IntegerMaxRows ? BlockQuantKernels.HasIntegerKernel(dtype) : BlockQuantGemm.IsSupported(dtype);

    /// <summary>The bound for <paramref name="m"/> rows: the activation-quantisation bound on the integer path, none on the float32 paths.</summary>
    internal static double[]? BoundFor(DType dtype, float[] x, int m, float[] w, int rows, int cols) =>
        IsIntegerPath(dtype, m) ? IntegerPathBound(dtype, x, m, w, rows, cols) : null;

    [Theory]
    [MemberData(nameof(TypesAndRows))]
    public void LinearMatchesTheDequantisedFloat32Weight(DType dtype, int m)
    {
        // 100 rows: not a multiple of the 16-row parts and panels the workers share.
        int rows = 100, cols = ColumnsFor(dtype);
        var (stored, decoded) = MakeWeight(dtype, rows, cols, 10 + (int)dtype);
        var dense = Tensor.FromArray(decoded, rows, cols);
        var xs = Activations(m, cols, 20 + m);
        var x = Tensor.FromArray(xs, m, cols);
        var bias = Tensor.Randn([rows], new Generator(30));
        var magnitude = Magnitudes(xs, m, decoded, rows, cols);
        var bound = BoundFor(dtype, xs, m, decoded, rows, cols);
        AssertWithin(Tensor.Linear(x, dense), Tensor.Linear(x, stored), bound, magnitude, 1e-5, 1e-6, $"{dtype.Name()} m={m}");
        AssertWithin(Tensor.Linear(x, dense, bias), Tensor.Linear(x, stored, bias), bound, magnitude, 1e-5, 1e-5, $"{dtype.Name()} m={m} with bias");

        // The zero activation row gives exactly the bias, whatever the path.
        if (m > 2)
        {
            var y = Tensor.Linear(x, stored, bias).ToArray();
            Assert.Equal(bias.ToArray(), y.AsSpan(2 * rows, rows).ToArray());
        }
    }

    [Theory]
    [InlineData(DType.Q4_K, 37, 103)]
    [InlineData(DType.Q4_K, 70, 9)]
    [InlineData(DType.Q4_K, 64, 2)]
    [InlineData(DType.Q4_K, 16, 103)]
    [InlineData(DType.Q6_K, 12, 9)]
    [InlineData(DType.Q8_0, 13, 9)]
    [InlineData(DType.Q5_0, 16, 9)]
    [InlineData(DType.Q5_K, 37, 103)]
    [InlineData(DType.Q5_K, 70, 9)]
    [InlineData(DType.Q6_K, 37, 103)]
    [InlineData(DType.Q6_K, 70, 9)]
    [InlineData(DType.Q8_0, 37, 103)]
    [InlineData(DType.Q8_0, 70, 9)]
    [InlineData(DType.Q4_0, 37, 103)]
    [InlineData(DType.Q4_1, 37, 103)]
    [InlineData(DType.Q5_0, 70, 9)]
    [InlineData(DType.Q5_1, 70, 9)]
    public void TheIntegerGemmEqualsTheDecodingKernelsRowByRow(DType dtype, int m, int rows)
    {
        // Many activation rows meet a block-quantised weight in the tiled integer GEMM (32 rows × 4 weight rows per
        // tile); four rows at a time take the decoding kernels. Both quantise the activations alike (Q8_K, Q8_0, Q8_1)
        // and sum the same integers, so only the float sums' order differs. Row counts leave partial tiles on both
        // sides (37 = 32 + 5, 103 = 4·25 + 3); tiles of 16 rows or fewer compute only their first half.
        if (!BlockQuantGemm.IsSupported(dtype)) return;
        int cols = ColumnsFor(dtype);
        var (stored, decoded) = MakeWeight(dtype, rows, cols, 77);
        var xs = Activations(m, cols, 78);
        var all = Tensor.Linear(Tensor.FromArray(xs, m, cols), stored).ToArray();
        // The float sums' rounding is relative to Σ|w||x| (the offsets may cancel most of the products).
        var magnitude = Magnitudes(xs, m, decoded, rows, cols);
        for (int i0 = 0; i0 < m; i0 += 4)
        {
            int count = Math.Min(4, m - i0);
            var few = Tensor.Linear(Tensor.FromArray(xs.AsSpan(i0 * cols, count * cols).ToArray(), count, cols), stored).ToArray();
            for (int n = 0; n < few.Length; n++)
            {
                float want = few[n], got = all[i0 * rows + n];
                Assert.True(Math.Abs(got - want) <= 1e-5 * magnitude[i0 * rows + n] + 1e-6, $"{dtype.Name()} m={m} row {i0 + n / rows}, column {n % rows}: GEMM {got:G9}, decoding {want:G9}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(AllBlockTypes))]
    public void TheIntegerPathStaysWellInsideItsBoundOnOrdinaryActivations(DType dtype)
    {
        // The derived bound is a worst case; on plain normal activations the error is far smaller. Σ|error| over
        // the outputs must be under a quarter of Σ bound (independent rounding errors mostly cancel), and the
        // relative error of the whole output under 1% of its norm.
        int rows = 64, cols = ColumnsFor(dtype), m = 4;
        var (stored, decoded) = MakeWeight(dtype, rows, cols, 40 + (int)dtype);
        var xs = Tensor.Randn([m, cols], new Generator(41)).ToArray();
        var expected = Tensor.Linear(Tensor.FromArray(xs, m, cols), Tensor.FromArray(decoded, rows, cols)).ToArray();
        var actual = Tensor.Linear(Tensor.FromArray(xs, m, cols), stored).ToArray();
        double err = 0, norm = 0, errSum = 0;
        for (int n = 0; n < expected.Length; n++)
        {
            err += Math.Pow(actual[n] - expected[n], 2);
            errSum += Math.Abs(actual[n] - expected[n]);
            norm += Math.Pow(expected[n], 2);
        }
        Assert.True(Math.Sqrt(err) <= 0.01 * Math.Sqrt(norm), $"{dtype.Name()}: ‖error‖ {Math.Sqrt(err):G3} vs ‖y‖ {Math.Sqrt(norm):G3}");
        if (BlockQuantKernels.HasIntegerKernel(dtype))
        {
            double boundSum = IntegerPathBound(dtype, xs, m, decoded, rows, cols).Sum();
            Assert.True(errSum <= 0.25 * boundSum, $"{dtype.Name()}: Σ|error| {errSum:G3} vs Σ bound {boundSum:G3}");
        }
        else
        {
            var magnitude = Magnitudes(xs, m, decoded, rows, cols);
            AssertWithin(Tensor.FromArray(expected, m, rows), Tensor.FromArray(actual, m, rows), null, magnitude, 1e-5, 1e-6, dtype.Name());
        }
    }

    [Theory]
    [MemberData(nameof(AllBlockTypes))]
    public void OneHotActivationsReadBackEachWeightColumn(DType dtype)
    {
        // x = e_c (one 1 in column c): the activation quantisers represent it within a relative 2^-11 (the float16
        // scale of Q8_0 / Q8_1, the float16 block sum of Q8_1), so y[j] is w[j, c] to within 2^-11 of the largest
        // weight in its block — far less than half a quantisation step of any block type (max/127 for Q8_0) — and
        // exactly w[j, c] on the float32 paths: every element of every weight row is checked on its own, with no
        // rounding of other activations to hide a wrong one.
        int rows = 16, cols = ColumnsFor(dtype), block = dtype.ToGgml().BlockSize();
        var (stored, decoded) = MakeWeight(dtype, rows, cols, 45 + (int)dtype);
        var wrong = new List<string>();
        for (int c0 = 0; c0 < cols; c0 += 4)
        {
            // Four one-hot rows at a time (the integer path's most): columns c0 .. c0 + 3.
            var xs = new float[4 * cols];
            for (int i = 0; i < 4; i++) xs[i * cols + c0 + i] = 1f;
            var y = Tensor.Linear(Tensor.FromArray(xs, 4, cols), stored).ToArray();
            for (int i = 0; i < 4; i++)
                for (int j = 0; j < rows; j++)
                {
                    int c = c0 + i;
                    float max = 0;
                    for (int e = c / block * block; e < (c / block + 1) * block; e++) max = MathF.Max(max, MathF.Abs(decoded[j * cols + e]));
                    float want = decoded[j * cols + c], got = y[i * rows + j];
                    if (!(Math.Abs(got - want) <= 6e-4 * max + 1e-7) && wrong.Count < 12)
                        wrong.Add($"w[{j}, {c}] read as {got:G7}, decoded {want:G7} (block max {max:G3})");
                }
        }
        Assert.True(wrong.Count == 0, $"{dtype.Name()}: " + string.Join("; ", wrong));
    }

    [Theory]
    [MemberData(nameof(AllBlockTypes))]
    public void FastKernelsAgreeWithTheReferenceKernels(DType dtype)
    {
        // 37 rows: a prime, so no part or panel boundary divides it.
        int rows = 37, cols = ColumnsFor(dtype);
        var (stored, decoded) = MakeWeight(dtype, rows, cols, 50 + (int)dtype);
        var bias = Tensor.Randn([rows], new Generator(51));
        foreach (int m in new[] { 1, 2, 3, 4, 5, 16, 17, 37 })
        {
            var xs = Activations(m, cols, 52 + m);
            var x = Tensor.FromArray(xs, m, cols);
            var magnitude = Magnitudes(xs, m, decoded, rows, cols);
            var bound = BoundFor(dtype, xs, m, decoded, rows, cols);
            Tensor expected, expectedWithBias;
            using (Backend.Use(Reference))
            {
                expected = Tensor.Linear(x, stored);
                expectedWithBias = Tensor.Linear(x, stored, bias);
            }
            // The reference sums the decoded rows in double: it is the exact product to float32 rounding.
            var exact = new float[m * rows];
            for (int i = 0; i < m; i++)
                for (int j = 0; j < rows; j++)
                {
                    double s = 0;
                    for (int p = 0; p < cols; p++) s += (double)xs[i * cols + p] * decoded[j * cols + p];
                    exact[i * rows + j] = (float)s;
                }
            TensorAssert.Equal(Tensor.FromArray(exact, m, rows), expected, $"{dtype.Name()} m={m}: reference kernels against the double product");
            AssertWithin(expected, Tensor.Linear(x, stored), bound, magnitude, 1e-5, 1e-6, $"{dtype.Name()} m={m}: fast against reference");
            AssertWithin(expectedWithBias, Tensor.Linear(x, stored, bias), bound, magnitude, 1e-5, 1e-5, $"{dtype.Name()} m={m} with bias: fast against reference");
        }
    }

    [Theory]
    [MemberData(nameof(AllBlockTypes))]
    public void BatchDimensionsAndRowViewsOfTheWeightReadTheRightBlocks(DType dtype)
    {
        // x [2, 2, cols] is four activation rows (the integer path); rows 10 .. 59 and the second half of the
        // columns of a [64, 2·cols] weight are views whose rows start inside the storage.
        int cols = ColumnsFor(dtype), rows = 64;
        var (stored, decoded) = MakeWeight(dtype, rows, 2 * cols, 60 + (int)dtype);
        var dense = Tensor.FromArray(decoded, rows, 2 * cols);
        var xs = Activations(4, cols, 61);
        var x = Tensor.FromArray(xs, 2, 2, cols);
        foreach (var (view, denseView, label) in new[]
        {
            (stored.Narrow(0, 10, 50).Narrow(1, 0, cols), dense.Narrow(0, 10, 50).Narrow(1, 0, cols), "rows 10..59, first half"),
            (stored.Narrow(1, cols, cols), dense.Narrow(1, cols, cols), "second half of the columns"),
            (stored.Narrow(0, 63, 1).Narrow(1, cols, cols), dense.Narrow(0, 63, 1).Narrow(1, cols, cols), "the last row's second half"),
        })
        {
            var w = denseView.Contiguous().ToArray();
            int n = view.Shape[0];
            var magnitude = Magnitudes(xs, 4, w, n, cols);
            var bound = BoundFor(dtype, xs, 4, w, n, cols);
            AssertWithin(Tensor.Linear(x, denseView), Tensor.Linear(x, view), bound, magnitude, 1e-5, 1e-6, $"{dtype.Name()} {label}");
            // 37 rows: float32 panels, or for Q4_K the integer GEMM (within the activation-quantisation bound).
            var xs37 = Activations(37, cols, 62);
            var x37 = Tensor.FromArray(xs37, 37, cols);
            AssertWithin(Tensor.Linear(x37, denseView), Tensor.Linear(x37, view), BoundFor(dtype, xs37, 37, w, n, cols),
                Magnitudes(xs37, 37, w, n, cols), 1e-4, 1e-4, $"{dtype.Name()} {label}, 37 rows");
            var ids = Tensor.FromArray(new long[] { 0, n - 1, n / 2 }, 3);
            TensorAssert.Equal(Tensor.Embedding(ids, denseView), Tensor.Embedding(ids, view), $"{dtype.Name()} {label}, embedding");
        }
    }

    [Theory]
    [MemberData(nameof(AllBlockTypes))]
    public void EmbeddingIsTheDequantisedRowsBitForBit(DType dtype)
    {
        int rows = 23, cols = ColumnsFor(dtype);
        var (stored, decoded) = MakeWeight(dtype, rows, cols, 70 + (int)dtype);
        long[] idList = [3, 0, 22, 3, 7, 1];
        var expected = new float[idList.Length * cols];
        for (int i = 0; i < idList.Length; i++) decoded.AsSpan((int)idList[i] * cols, cols).CopyTo(expected.AsSpan(i * cols));
        var want = Tensor.FromArray(expected, 2, 3, cols);
        var ids = Tensor.FromArray(idList, 2, 3);
        var ids32 = Tensor.FromArray(Array.ConvertAll(idList, i => (int)i), 2, 3);
        TensorAssert.Equal(want, Tensor.Embedding(ids, stored), $"{dtype.Name()} cpu");
        TensorAssert.Equal(want, Tensor.Embedding(ids32, stored), $"{dtype.Name()} cpu, int32 ids");
        using (Backend.Use(Reference)) TensorAssert.Equal(want, Tensor.Embedding(ids, stored), $"{dtype.Name()} reference");
        // Bit for bit, signed zeros included.
        var got = Tensor.Embedding(ids, stored).ToArray();
        for (int n = 0; n < got.Length; n++)
            Assert.True(BitConverter.SingleToInt32Bits(got[n]) == BitConverter.SingleToInt32Bits(expected[n]), $"{dtype.Name()}: element {n} is {got[n]:G9}, expected {expected[n]:G9}");
        var bad = Tensor.FromArray(new long[] { rows }, 1);
        Assert.Contains($"outside the table of {rows} rows", Assert.Throws<ArgumentException>(() => Tensor.Embedding(bad, stored)).Message);
    }

    public static TheoryData<DType, int> TypesForGradients()
    {
        var data = new TheoryData<DType, int>();
        foreach (var dtype in BlockTypes)
            foreach (int m in new[] { 3, 37 })
                data.Add(dtype, m);
        return data;
    }

    [Theory]
    [MemberData(nameof(TypesForGradients))]
    public void InputGradientThroughAFrozenQuantisedWeightMatchesTheDequantisedOne(DType dtype, int m)
    {
        int rows = 100, cols = ColumnsFor(dtype);
        var (stored, decoded) = MakeWeight(dtype, rows, cols, 80 + (int)dtype);
        Assert.False(stored.RequiresGrad);
        var dense = Tensor.FromArray(decoded, rows, cols);
        var x0 = Tensor.FromArray(Activations(m, cols, 81), m, cols);
        var bias = Tensor.Randn([rows], new Generator(82));

        // dx[i, p] = Σ_j g[i, j]·w[j, p]: its float32 rounding is a few ulps of Σ_j |g||w|.
        var upstream = Tensor.Randn([m, rows], new Generator(83));
        var g = upstream.ToArray();
        double[] Scale(bool ones)
        {
            var s = new double[m * cols];
            for (int i = 0; i < m; i++)
                for (int j = 0; j < rows; j++)
                    for (int p = 0; p < cols; p++) s[i * cols + p] += Math.Abs((ones ? 1 : g[i * rows + j]) * decoded[j * cols + p]);
            return s;
        }

        foreach (bool sum in new[] { true, false })
        {
            var scale = Scale(sum);
            var x1 = x0.Detach().Clone().RequiresGrad_();
            var x2 = x0.Detach().Clone().RequiresGrad_();
            var b1 = bias.Detach().Clone().RequiresGrad_();
            var b2 = bias.Detach().Clone().RequiresGrad_();
            var y1 = Tensor.Linear(x1, stored, b1);
            var y2 = Tensor.Linear(x2, dense, b2);
            if (sum)
            {
                y1.Sum().Backward();
                y2.Sum().Backward();
            }
            else
            {
                y1.Backward(upstream);
                y2.Backward(upstream);
            }
            string what = $"{dtype.Name()} m={m} {(sum ? "sum" : "random upstream")}";
            AssertWithin(x2.Grad!, x1.Grad!, null, scale, 1e-5, 1e-6, $"{what}: input gradient");
            TensorAssert.Close(b2.Grad!, b1.Grad!, 1e-6f, 1e-6f, $"{what}: bias gradient");
            Assert.Null(stored.Grad);
            using (Backend.Use(Reference))
            {
                var x3 = x0.Detach().Clone().RequiresGrad_();
                var y3 = Tensor.Linear(x3, stored);
                if (sum) y3.Sum().Backward();
                else y3.Backward(upstream);
                AssertWithin(x2.Grad!, x3.Grad!, null, scale, 1e-5, 1e-6, $"{what}: reference input gradient");
            }
        }
    }

    [Theory]
    [MemberData(nameof(AllBlockTypes))]
    public void AQuantisedWeightCannotRequireGrad(DType dtype)
    {
        var (stored, _) = MakeWeight(dtype, 2, ColumnsFor(dtype), 90);
        string name = dtype.Name();
        Assert.Contains(name, Assert.Throws<InvalidOperationException>(() => stored.RequiresGrad = true).Message);
        Assert.Contains(name, Assert.Throws<InvalidOperationException>(() => stored.RequiresGrad_()).Message);
        Assert.False(stored.RequiresGrad);
        // A parameter that requires grad cannot take the quantised weight's storage either.
        var parameter = Tensor.Zeros(2, ColumnsFor(dtype)).RequiresGrad_();
        Assert.Contains(name, Assert.Throws<InvalidOperationException>(() => parameter.Set(stored)).Message);
    }

    [Theory]
    [MemberData(nameof(AllBlockTypes))]
    public void AWeightWhoseRowsAreNotWholeBlocksIsRefusedByName(DType dtype)
    {
        int block = dtype.ToGgml().BlockSize();
        string name = dtype.Name();
        // Storage of whole blocks, viewed with rows of half a block and of one and a half blocks.
        foreach (int cols in new[] { block / 2, block + block / 2 })
        {
            var storage = new NativeStorage(dtype, 2 * cols);
            storage.Bytes.Clear();
            var w = Tensor.FromStorage(storage, 2, cols);
            var x = Tensor.Randn([1, cols], new Generator(1));
            var e = Assert.ThrowsAny<Exception>(() => Tensor.Linear(x, w));
            Assert.Contains(name, e.Message);
            Assert.Contains(name, Assert.ThrowsAny<Exception>(() => Tensor.Linear(Tensor.Randn([9, cols], new Generator(2)), w)).Message);
            Assert.Contains(name, Assert.ThrowsAny<Exception>(() => Tensor.Embedding(Tensor.FromArray(new long[] { 1 }, 1), w)).Message);
        }
        // A storage that is not whole blocks cannot be made at all.
        Assert.Contains(name, Assert.ThrowsAny<Exception>(() => new NativeStorage(dtype, block + 1)).Message);
        // Column-major (a transposed view) is refused too: rows of a block type are contiguous.
        var (stored, _) = MakeWeight(dtype, block, block, 91);
        Assert.Contains(name, Assert.ThrowsAny<Exception>(() => Tensor.Linear(Tensor.Randn([1, block], new Generator(3)), stored.T())).Message);
    }
}

/// <summary>Tests that change the worker count, which is process-wide; they never run beside others.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class BlockQuantThreadsCollection
{
    public const string Name = "block-quant worker threads";
}

[Collection(BlockQuantThreadsCollection.Name)]
public class BlockQuantThreadTests
{
    [Theory]
    [MemberData(nameof(BlockQuantKernelTests.AllBlockTypes), MemberType = typeof(BlockQuantKernelTests))]
    public void ALargeProductSplitAmongWorkersEqualsTheSingleThreadedOne(DType dtype)
    {
        // 4,100 rows: many parts for each worker, and a last part that is not full.
        int rows = 4100, cols = dtype.ToGgml().BlockSize() == 256 ? 512 : 256;
        var (stored, decoded) = BlockQuantKernelTests.MakeWeight(dtype, rows, cols, 100 + (int)dtype);
        var dense = Tensor.FromArray(decoded, rows, cols);
        var bias = Tensor.Randn([rows], new Generator(101));
        int saved = CpuWorkers.Threads;
        try
        {
            foreach (int m in new[] { 1, 4, 5, 40 })
            {
                var xs = BlockQuantKernelTests.Activations(m, cols, 102 + m);
                var x = Tensor.FromArray(xs, m, cols);
                var magnitude = BlockQuantKernelTests.Magnitudes(xs, m, decoded, rows, cols);
                var bound = BlockQuantKernelTests.BoundFor(dtype, xs, m, decoded, rows, cols);
                var expected = Tensor.Linear(x, dense, bias);
                CpuWorkers.Threads = 1;
                var single = Tensor.Linear(x, stored, bias);
                BlockQuantKernelTests.AssertWithin(expected, single, bound, magnitude, 1e-5, 1e-5, $"{dtype.Name()} m={m}, one thread, against float32");
                foreach (int threads in new[] { 3, 8 })
                {
                    CpuWorkers.Threads = threads;
                    var parallel = Tensor.Linear(x, stored, bias);
                    string what = $"{dtype.Name()} m={m}, {threads} threads";
                    // Each output element is computed by one worker with the same code whatever the split: the
                    // streaming and integer paths give the same bits; the panel path's GEMM may block differently.
                    if (m <= StoredWeightKernels.StreamingMaxRows || BlockQuantKernelTests.IsIntegerPath(dtype, m)) TensorAssert.Equal(single, parallel, what);
                    else TensorAssert.Close(single, parallel, 1e-5f, 1e-5f, what);
                    BlockQuantKernelTests.AssertWithin(expected, parallel, bound, magnitude, 1e-5, 1e-5, $"{what} against float32");
                }
            }
            // The input gradient's panels are added by the parallel GEMM.
            var x6 = Tensor.FromArray(BlockQuantKernelTests.Activations(6, cols, 110), 6, cols);
            var upstream = Tensor.Randn([6, rows], new Generator(111));
            Tensor Grad()
            {
                var xg = x6.Detach().Clone().RequiresGrad_();
                Tensor.Linear(xg, stored).Backward(upstream);
                return xg.Grad!;
            }
            CpuWorkers.Threads = 1;
            var g1 = Grad();
            CpuWorkers.Threads = 8;
            TensorAssert.Close(g1, Grad(), 1e-5f, 1e-4f, $"{dtype.Name()} input gradient, 8 threads");
            var xd = x6.Detach().Clone().RequiresGrad_();
            Tensor.Linear(xd, dense).Backward(upstream);
            TensorAssert.Close(xd.Grad!, g1, 1e-4f, 1e-4f, $"{dtype.Name()} input gradient against float32");
        }
        finally
        {
            CpuWorkers.Threads = saved;
        }
    }
}
