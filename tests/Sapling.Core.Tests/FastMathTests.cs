using Sapling.Backends.Cpu;

namespace Sapling.Core.Tests;

public class FastMathTests
{
    [Fact]
    public void ExpMatchesMathExpAcrossTheFloatRange()
    {
        var x = Enumerable.Range(0, 20001).Select(i => -100f + i * 0.0095f).Concat([0f, -0f, 88f, -87f]).ToArray();
        var y = new float[x.Length];
        FastMath.Exp(x, y);
        for (int i = 0; i < x.Length; i++)
        {
            double expected = Math.Exp(x[i]);
            if (expected < 1.2e-38) Assert.True(y[i] <= 1.2e-38, $"exp({x[i]}) = {y[i]}");
            else if (expected > float.MaxValue) Assert.Equal(float.PositiveInfinity, y[i]);
            else Assert.True(Math.Abs(y[i] - expected) <= 3e-7 * expected, $"exp({x[i]}) = {y[i]:G9}, expected {expected:G9}");
        }
    }

    [Fact]
    public void ExpHandlesInfinitiesAndNaN()
    {
        var x = new[] { float.NegativeInfinity, float.PositiveInfinity, float.NaN, -1000f, 1000f, 0f, 1f, 2f };
        var y = new float[x.Length];
        FastMath.Exp(x, y);
        Assert.Equal(0f, y[0]);
        Assert.Equal(float.PositiveInfinity, y[1]);
        Assert.True(float.IsNaN(y[2]));
        Assert.Equal(0f, y[3]);
        Assert.Equal(float.PositiveInfinity, y[4]);
        Assert.Equal(1f, y[5]);
    }

    [Fact]
    public void TanhSigmoidErfAreAccurate()
    {
        var x = Enumerable.Range(0, 4001).Select(i => -10f + i * 0.005f).ToArray();
        var t = new float[x.Length];
        var s = new float[x.Length];
        FastMath.Tanh(x, t);
        FastMath.Sigmoid(x, s);
        for (int i = 0; i < x.Length; i++)
        {
            Assert.True(Math.Abs(t[i] - Math.Tanh(x[i])) < 3e-7, $"tanh({x[i]}) = {t[i]}");
            Assert.True(Math.Abs(s[i] - 1 / (1 + Math.Exp(-x[i]))) < 3e-7, $"sigmoid({x[i]}) = {s[i]}");
        }
        // erf(1) and erf(-0.5) to 1.5e-7 (Abramowitz-Stegun 7.1.26's bound).
        Assert.Equal(0.8427007929, FastMath.Erf(1f), 6);
        Assert.Equal(-0.5204998778, FastMath.Erf(-0.5f), 6);
    }

    [Fact]
    public void SoftmaxOfMaskedRowIsExactlyZeroThere()
    {
        var x = Tensor.FromArray(new[] { 1f, float.NegativeInfinity, 2f, float.NegativeInfinity }, 1, 4);
        var p = x.Softmax(-1).ToArray();
        Assert.Equal(0f, p[1]);
        Assert.Equal(0f, p[3]);
        Assert.Equal(1f, p[0] + p[2], 6);
    }
}
