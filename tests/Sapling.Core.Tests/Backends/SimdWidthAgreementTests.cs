using Sapling.Backends;
using Sapling.Backends.Cpu.Simd;

namespace Sapling.Core.Tests.Backends;

/// <summary>
/// The fused kernels at each register width against the reference: 512-bit blocks (then 256-bit and scalar tails)
/// and 256-bit blocks alone. Both run on any machine (Vector512 is emulated where AVX-512 is missing), so a machine
/// without AVX-512 still tests the code that one with it will run.
/// </summary>
[Collection(SimdWidthCollection.Name)]
public class SimdWidthAgreementTests
{
    public static TheoryData<int, int> WidthsAndLengths()
    {
        var data = new TheoryData<int, int>();
        foreach (int bits in new[] { 256, 512 })
            foreach (int n in new[] { 7, 16, 23, 33, 1031, 40_000 })
                data.Add(bits, n);
        return data;
    }

    [Theory]
    [MemberData(nameof(WidthsAndLengths))]
    public void ElementwiseFunctionsAgree(int bits, int n)
    {
        using var _ = SimdWidth.Force(bits);
        var elementwise = new ElementwiseAgreementTests();
        foreach (var op in new[] { UnaryOpKind.Exp, UnaryOpKind.Tanh, UnaryOpKind.Sigmoid, UnaryOpKind.Silu })
        {
            elementwise.UnaryAgrees(op, n);
            if (op != UnaryOpKind.Exp) elementwise.ActivationBackwardAgrees(op, n);
        }
        elementwise.GeluAgrees(tanhApproximation: false, n);
        elementwise.GeluAgrees(tanhApproximation: true, n);
    }

    [Theory]
    [MemberData(nameof(WidthsAndLengths))]
    public void RowKernelsAgree(int bits, int n)
    {
        if (n > 2000) return; // rows of 40,000 add nothing the 1031-wide rows do not cover
        using var _ = SimdWidth.Force(bits);
        var rowKernels = new RowKernelAgreementTests();
        foreach (int rows in new[] { 1, 40 })
        {
            rowKernels.SoftmaxAgrees(rows, n, log: false);
            rowKernels.SoftmaxAgrees(rows, n, log: true);
            rowKernels.LayerNormAgrees(rows, n, affine: true);
            rowKernels.LayerNormAgrees(rows, n, affine: false);
            rowKernels.CrossEntropyAgrees(rows, n, smoothing: 0.1f);
        }
        new AttentionAgreementTests().ForwardAndBackwardAgree(2, 5, n > 100 ? 100 : n, n > 100 ? 65 : n);
    }

    [Fact]
    public void ExpKeepsItsSpecialValuesAtEachWidth()
    {
        var x = new float[40];
        for (int i = 0; i < x.Length; i++) x[i] = (i % 5) switch { 0 => float.NegativeInfinity, 1 => float.PositiveInfinity, 2 => float.NaN, 3 => -100f, _ => 89f };
        foreach (int bits in new[] { 256, 512 })
        {
            using var _ = SimdWidth.Force(bits);
            var y = new float[x.Length];
            Sapling.Backends.Cpu.FastMath.Exp(x, y);
            for (int i = 0; i < x.Length; i++)
            {
                float expected = (i % 5) switch { 0 or 3 => 0f, 1 or 4 => float.PositiveInfinity, _ => float.NaN };
                Assert.True(expected.Equals(y[i]), $"{bits}-bit exp({x[i]}) = {y[i]}, expected {expected}");
            }
        }
    }

    [Fact]
    public void OnlyTheTwoWidthsCanBeForced() =>
        Assert.Contains("256 or 512", Assert.Throws<ArgumentOutOfRangeException>(() => SimdWidth.Force(128)).Message);
}

/// <summary>Forcing a width is process-wide, so the tests that force one never run at the same time.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SimdWidthCollection
{
    public const string Name = "SIMD width";
}
