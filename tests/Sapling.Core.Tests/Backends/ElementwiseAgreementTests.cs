using Sapling.Backends;
using Sapling.Backends.Cpu;
using Sapling.Backends.Reference;

namespace Sapling.Core.Tests.Backends;

/// <summary>Unary and binary maps, activation gradients and GELU: the CPU backend against the reference.</summary>
public class ElementwiseAgreementTests
{
    private static readonly IKernels Fast = CpuKernels.Instance;
    private static readonly IKernels Reference = new ReferenceKernels();

    /// <summary>The awkward widths plus one long enough to be split across workers.</summary>
    public static readonly int[] Lengths = [.. KernelData.AwkwardWidths, 40_000];

    public static TheoryData<UnaryOpKind, int> UnaryCases()
    {
        var data = new TheoryData<UnaryOpKind, int>();
        foreach (var op in Enum.GetValues<UnaryOpKind>())
            foreach (int n in Lengths)
                data.Add(op, n);
        return data;
    }

    [Theory]
    [MemberData(nameof(UnaryCases))]
    public void UnaryAgrees(UnaryOpKind op, int n)
    {
        var rng = new Random((int)op * 1000 + n);
        // Positive inputs where the function needs them; the others cross zero and reach where exp and tanh saturate.
        bool positive = op is UnaryOpKind.Log or UnaryOpKind.Sqrt or UnaryOpKind.Rsqrt or UnaryOpKind.Reciprocal;
        var x = positive ? KernelData.Random(rng, n, offset: 3, lo: 0.05f, hi: 20f) : KernelData.Random(rng, n, offset: 3, lo: -12f, hi: 12f);
        var expected = KernelData.Output(n);
        var actual = KernelData.Output(n);
        Reference.Unary(op, x, 3, expected, n);
        Fast.Unary(op, x, 3, actual, n);
        // erf is Abramowitz–Stegun 7.1.26 (absolute error at most 1.5e-7, plus float rounding), the form GELU also uses.
        KernelData.Close(expected, actual, n, 2e-6, op == UnaryOpKind.Erf ? 4e-7 : 1e-7, $"{op} n={n}");
    }

    public static TheoryData<UnaryOpKind, int> ActivationCases()
    {
        var data = new TheoryData<UnaryOpKind, int>();
        foreach (var op in new[] { UnaryOpKind.Tanh, UnaryOpKind.Sigmoid, UnaryOpKind.Relu, UnaryOpKind.Silu })
            foreach (int n in Lengths)
                data.Add(op, n);
        return data;
    }

    [Theory]
    [MemberData(nameof(ActivationCases))]
    public void ActivationBackwardAgrees(UnaryOpKind op, int n)
    {
        var rng = new Random((int)op * 1000 + n);
        // Tanh and sigmoid are given their outputs, which lie in (−1, 1) and (0, 1).
        var saved = op switch
        {
            UnaryOpKind.Tanh => KernelData.Random(rng, n, offset: 2, lo: -1f, hi: 1f),
            UnaryOpKind.Sigmoid => KernelData.Random(rng, n, offset: 2, lo: 0f, hi: 1f),
            _ => KernelData.Random(rng, n, offset: 2, lo: -8f, hi: 8f),
        };
        var dy = KernelData.Random(rng, n, offset: 1);
        var expected = KernelData.Output(n);
        var actual = KernelData.Output(n);
        Reference.UnaryBackward(op, saved, 2, dy, 1, expected, n);
        Fast.UnaryBackward(op, saved, 2, dy, 1, actual, n);
        KernelData.Close(expected, actual, n, 1e-5, 1e-6, $"{op} backward n={n}");
    }

    [Fact]
    public void OnlyFusedActivationsHaveABackwardKernel()
    {
        var buffer = new float[4];
        Assert.Throws<ArgumentOutOfRangeException>(() => Fast.UnaryBackward(UnaryOpKind.Exp, buffer, 0, buffer, 0, buffer, 4));
        Assert.Throws<ArgumentOutOfRangeException>(() => Reference.UnaryBackward(UnaryOpKind.Exp, buffer, 0, buffer, 0, buffer, 4));
    }

    /// <summary>Operand layouts the tensor layer produces: dense, broadcast rows and columns, transposed, and all broadcast.</summary>
    public static TheoryData<BinaryOpKind, string> BinaryCases()
    {
        var data = new TheoryData<BinaryOpKind, string>();
        foreach (var op in Enum.GetValues<BinaryOpKind>())
            foreach (var layout in new[] { "dense", "row-broadcast", "column-broadcast", "transposed", "scalar-view", "large-broadcast" })
                data.Add(op, layout);
        return data;
    }

    [Theory]
    [MemberData(nameof(BinaryCases))]
    public void BinaryAgrees(BinaryOpKind op, string layout)
    {
        var rng = new Random((int)op * 100 + layout.Length);
        // shape, then each operand's element count, offset and strides over that shape.
        var (shape, aCount, aStrides, bCount, bStrides) = layout switch
        {
            "dense" => (new[] { 7, 33 }, 7 * 33, new[] { 33, 1 }, 7 * 33, new[] { 33, 1 }),
            "row-broadcast" => ([17, 65], 17 * 65, [65, 1], 65, [0, 1]),
            "column-broadcast" => ([3, 5, 17], 3 * 5 * 17, [85, 17, 1], 15, [5, 1, 0]),
            "transposed" => ([33, 7], 7 * 33, [1, 33], 7 * 33, [7, 1]),
            "scalar-view" => ([1, 7], 7, [7, 1], 1, [0, 0]),
            _ => (new[] { 40, 1031 }, 40 * 1031, new[] { 1031, 1 }, 40, new[] { 1, 0 }),
        };
        int n = ShapeUtil.Numel(shape);
        // Pow gets a positive base so that its results are numbers.
        var a = op == BinaryOpKind.Pow ? KernelData.Random(rng, aCount, offset: 4, lo: 0.1f, hi: 4f) : KernelData.Random(rng, aCount, offset: 4);
        var b = KernelData.Random(rng, bCount, offset: 1);
        var expected = KernelData.Output(n);
        var actual = KernelData.Output(n);
        Reference.Binary(op, shape, a, 4, aStrides, b, 1, bStrides, expected);
        Fast.Binary(op, shape, a, 4, aStrides, b, 1, bStrides, actual);
        KernelData.Close(expected, actual, n, 2e-6, 1e-7, $"{op} {layout}");
    }

    public static TheoryData<BinaryOpKind, bool, int> ScalarCases()
    {
        var data = new TheoryData<BinaryOpKind, bool, int>();
        foreach (var op in Enum.GetValues<BinaryOpKind>())
            foreach (bool first in new[] { false, true })
                foreach (int n in new[] { 1, 33, 40_000 })
                    data.Add(op, first, n);
        return data;
    }

    [Theory]
    [MemberData(nameof(ScalarCases))]
    public void BinaryScalarAgrees(BinaryOpKind op, bool scalarFirst, int n)
    {
        var rng = new Random((int)op * 10 + n);
        var x = op == BinaryOpKind.Pow && !scalarFirst ? KernelData.Random(rng, n, offset: 2, lo: 0.1f, hi: 4f) : KernelData.Random(rng, n, offset: 2);
        float s = op == BinaryOpKind.Pow && scalarFirst ? 1.7f : -0.35f;
        var expected = KernelData.Output(n);
        var actual = KernelData.Output(n);
        Reference.BinaryScalar(op, x, 2, s, scalarFirst, expected, n);
        Fast.BinaryScalar(op, x, 2, s, scalarFirst, actual, n);
        KernelData.Close(expected, actual, n, 2e-6, 1e-7, $"{op} scalar first={scalarFirst} n={n}");
    }

    [Fact]
    public void MaxAndMinPropagateNaN()
    {
        var a = new[] { 1f, float.NaN, 3f };
        var b = new[] { float.NaN, 2f, 1f };
        foreach (var kernels in new IKernels[] { Fast, Reference })
            foreach (var op in new[] { BinaryOpKind.Max, BinaryOpKind.Min })
            {
                var d = new float[3];
                kernels.Binary(op, [3], a, 0, [1], b, 0, [1], d);
                Assert.True(float.IsNaN(d[0]) && float.IsNaN(d[1]), $"{kernels.Name} {op}: {d[0]}, {d[1]}");
                Assert.Equal(op == BinaryOpKind.Max ? 3f : 1f, d[2]);
            }
    }

    public static TheoryData<bool, int> GeluCases()
    {
        var data = new TheoryData<bool, int>();
        foreach (bool tanh in new[] { false, true })
            foreach (int n in Lengths)
                data.Add(tanh, n);
        return data;
    }

    [Theory]
    [MemberData(nameof(GeluCases))]
    public void GeluAgrees(bool tanhApproximation, int n)
    {
        var rng = new Random(n + (tanhApproximation ? 1 : 0));
        var x = KernelData.Random(rng, n, offset: 3, lo: -7f, hi: 7f);
        var dy = KernelData.Random(rng, n, offset: 5);
        var expected = KernelData.Output(n);
        var actual = KernelData.Output(n);
        Reference.GeluForward(x, 3, expected, n, tanhApproximation);
        Fast.GeluForward(x, 3, actual, n, tanhApproximation);
        KernelData.Close(expected, actual, n, 1e-5, 1e-6, $"gelu tanh={tanhApproximation} n={n}");
        expected = KernelData.Output(n);
        actual = KernelData.Output(n);
        Reference.GeluBackward(x, 3, dy, 5, expected, n, tanhApproximation);
        Fast.GeluBackward(x, 3, dy, 5, actual, n, tanhApproximation);
        // In the far tails 1 + tanh(u) and 1 − tanh²(u) cancel in float, leaving errors of a few 1e-6 on slopes of O(1).
        KernelData.Close(expected, actual, n, 1e-5, 1e-5, $"gelu backward tanh={tanhApproximation} n={n}");
    }
}
