using Sapling.Backends;
using Sapling.Backends.Reference;

namespace Sapling.Core.Tests.Backends;

/// <summary>The oracle itself against values worked out by hand or taken from tables.</summary>
public class ReferenceKernelsTests
{
    private static readonly IKernels Reference = new ReferenceKernels();

    [Theory]
    [InlineData(0.0, 0.0)]
    [InlineData(0.1, 0.1124629160182849)]
    [InlineData(0.5, 0.5204998778130465)]
    [InlineData(1.0, 0.8427007929497149)]
    [InlineData(-2.0, -0.9953222650189527)]
    [InlineData(3.5, 0.9999992569016276)]
    [InlineData(5.9, 0.9999999999999999)]
    [InlineData(8.0, 1.0)]
    public void ErfMatchesTables(double x, double erf) => Assert.Equal(erf, ReferenceKernels.Erf(x), 13);

    [Fact]
    public void GeluAtOneIsOneTimesPhiOfOne()
    {
        var y = new float[2];
        Reference.GeluForward([1f, -1f], 0, y, 2, tanhApproximation: false);
        // Φ(1) = 0.841344746…; GELU(−1) = −(1 − Φ(1)).
        Assert.Equal(0.84134475f, y[0], 7);
        Assert.Equal(-0.15865525f, y[1], 7);
    }

    [Fact]
    public void SoftmaxOfZeroAndLogTwoIsOneThirdAndTwoThirds()
    {
        var y = new float[2];
        Reference.SoftmaxForward([0f, MathF.Log(2f)], 0, y, 1, 2, log: false);
        Assert.Equal(1f / 3f, y[0], 7);
        Assert.Equal(2f / 3f, y[1], 7);
    }

    [Fact]
    public void SgemmTransposesAndScales()
    {
        // op(A) = Aᵀ with A = [[1, 2], [3, 4]] stored row-major; B = [[5, 6], [7, 8]]; C = 2·AᵀB + 1·C.
        var c = new float[] { 1, 1, 1, 1 };
        Reference.Gemm(true, false, 2, 2, 2, 2f, [1, 2, 3, 4], 0, 2, [5, 6, 7, 8], 0, 2, 1f, c, 0, 2);
        Assert.Equal(new float[] { 2 * 26 + 1, 2 * 30 + 1, 2 * 38 + 1, 2 * 44 + 1 }, c);
    }

    [Fact]
    public void CrossEntropyOfUniformLogitsIsLogOfTheClassCount()
    {
        var (losses, lse) = (new float[2], new float[2]);
        int counted = Reference.CrossEntropyForward(new float[8], 0, [2, -100], losses, lse, 2, 4, -100, 0f);
        Assert.Equal(1, counted);
        Assert.Equal(MathF.Log(4f), losses[0], 6);
        Assert.Equal(0f, losses[1]);
    }

    [Fact]
    public void AveragePoolingCountsPaddingOnlyWhenAsked()
    {
        // One 2×2 plane of ones, 3×3 window, stride 1, padding 1: the corner window holds 4 real cells of 9.
        var g = new Conv2dGeometry(1, 1, 2, 2, 3, 3, 1, 1, 1, 1, 1, 1);
        var (included, excluded) = (new float[4], new float[4]);
        Reference.AvgPoolForward([1, 1, 1, 1], 0, g, included, countIncludePad: true);
        Reference.AvgPoolForward([1, 1, 1, 1], 0, g, excluded, countIncludePad: false);
        Assert.Equal(4f / 9f, included[0], 6);
        Assert.Equal(1f, excluded[0]);
    }
}
