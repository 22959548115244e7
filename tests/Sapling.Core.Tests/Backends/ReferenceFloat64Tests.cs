using Sapling.Backends;
using Sapling.Backends.Reference;

namespace Sapling.Core.Tests.Backends;

/// <summary>
/// The reference kernels over double keep full double precision: each case is built from inputs or differences that
/// float cannot hold, so a kernel that rounded through float on the way would miss the expected value by far more
/// than the tolerance.
/// </summary>
public class ReferenceFloat64Tests
{
    private static readonly IComputeKernels<double> Float64 = ReferenceKernels.Float64;

    [Fact]
    public void TheFloat64InstanceIsNamedApartFromTheFloatOne()
    {
        Assert.Equal("reference-double", Float64.Name);
        Assert.Equal("reference", new ReferenceKernels().Name);
    }

    [Fact]
    public void SoftmaxSeparatesEntriesThatDifferByOneTrillionth()
    {
        // 1 + 1e-12 is 1 in float; in double the two entries differ by δ = (1 + 1e-12) − 1 ≈ 1e-12.
        double delta = (1 + 1e-12) - 1;
        var y = new double[2];
        Float64.SoftmaxForward([1.0, 1 + 1e-12], 0, y, 1, 2, log: false);
        // p₁ − p₀ = (e^δ − 1)/(e^δ + 1) = tanh(δ/2) ≈ 5e-13; in float both would be exactly 0.5.
        Assert.Equal(Math.Tanh(delta / 2), y[1] - y[0], 1e-15);
        Assert.Equal(1.0, y[0] + y[1], 1e-15);

        var yf = new float[2];
        new ReferenceKernels().SoftmaxForward([1f, 1 + 1e-12f], 0, yf, 1, 2, log: false);
        Assert.Equal(yf[0], yf[1]);
    }

    [Fact]
    public void GemmMatchesTheProductWorkedOutInDouble()
    {
        const double e = 1e-12;
        // A [2, 3], B [3, 2]: A[0, 0] = 1 + 1e-12 rounds to 1 in float.
        double[] a = [1 + e, 0.1, 1.0 / 3, -2.5, 0.7, 1e-3];
        double[] b = [1.0, 0.2, 3.0, -0.4, 0.5, 1.0 / 7];
        double[] c = [0.1, 0.2, 0.3, 0.4];
        Float64.Gemm(false, false, 2, 2, 3, 0.5, a, 0, 3, b, 0, 2, 2.0, c, 0, 2);

        double[] expected =
        [
            0.5 * ((1 + e) * 1.0 + 0.1 * 3.0 + 1.0 / 3 * 0.5) + 2.0 * 0.1,
            0.5 * ((1 + e) * 0.2 + 0.1 * -0.4 + 1.0 / 3 * (1.0 / 7)) + 2.0 * 0.2,
            0.5 * (-2.5 * 1.0 + 0.7 * 3.0 + 1e-3 * 0.5) + 2.0 * 0.3,
            0.5 * (-2.5 * 0.2 + 0.7 * -0.4 + 1e-3 * (1.0 / 7)) + 2.0 * 0.4,
        ];
        for (int i = 0; i < 4; i++) Assert.Equal(expected[i], c[i], 1e-15);
        // The 1e-12 in A[0, 0] reaches C[0, 0] as 0.5e-12 on top of the float-representable part.
        Assert.Equal(0.5e-12, c[0] - (0.5 * (1.0 + 0.1 * 3.0 + 1.0 / 3 * 0.5) + 2.0 * 0.1), 1e-15);
    }

    [Fact]
    public void LayerNormOfAPerturbationFloatCannotSeeMatchesTheExactResult()
    {
        // x = 1 + k·2⁻³⁰ is exact in double but 1 in float (24 significant bits). The mean, the deviations
        // (−1.5, −0.5, 0.5, 1.5)·2⁻³⁰ and the variance 1.25·2⁻⁶⁰ are all exact, so x̂ = (−1.5, −0.5, 0.5, 1.5)/√1.25;
        // in float every x̂ would be 0 and y would be b.
        double u = Math.ScaleB(1.0, -30);
        double[] x = [1.0, 1 + u, 1 + 2 * u, 1 + 3 * u];
        double[] w = [1.0, 2.0, 3.0, 4.0];
        double[] b = [0.25, 0.5, 0.75, 1.0];
        var y = new double[4];
        var mean = new double[1];
        var rstd = new double[1];
        Float64.LayerNormForward(x, 0, w, 0, b, 0, y, mean, rstd, 1, 4, 1e-40);

        double root = Math.Sqrt(1.25);
        Assert.Equal(1 + 1.5 * u, mean[0], 1e-15);
        Assert.Equal(1.0, rstd[0] * u * root, 1e-14);
        double[] expected = [-1.5 / root * 1 + 0.25, -0.5 / root * 2 + 0.5, 0.5 / root * 3 + 0.75, 1.5 / root * 4 + 1.0];
        for (int j = 0; j < 4; j++) Assert.Equal(expected[j], y[j], 1e-14);
    }
}
