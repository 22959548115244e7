using Sapling.Quantization;

namespace Sapling.Core.Tests.Quantization;

public class QuantizedWeightTests
{
    private static Tensor RandomWeight(int n, int k, int seed)
    {
        var rng = new Random(seed);
        return Tensor.FromArray(Enumerable.Range(0, n * k).Select(_ => (float)(rng.NextDouble() * 2 - 1) * (1 + seed % 3)).ToArray(), n, k);
    }

    [Fact]
    public void DequantizedWeightIsWithinHalfAStepOfTheOriginal()
    {
        var w = RandomWeight(12, 40, 1);
        var q = QuantizedWeight.Quantize(w);
        var back = q.Dequantize().ToArray();
        var orig = w.ToArray();
        var scale = q.Scale.ToArray();
        for (int i = 0; i < orig.Length; i++)
            Assert.True(MathF.Abs(back[i] - orig[i]) <= scale[i / 40] / 2 + 1e-7f, $"element {i}: {back[i]} vs {orig[i]}");
        // The scale is max|row| / 127, so each row's largest value maps to ±127 exactly.
        for (int r = 0; r < 12; r++)
            Assert.Equal(orig.Skip(r * 40).Take(40).Max(MathF.Abs) / 127f, scale[r], 6);
    }

    [Fact]
    public void QuantizedLinearIsCloseToFloatLinear()
    {
        var w = RandomWeight(30, 64, 2);
        var bias = Tensor.FromArray(Enumerable.Range(0, 30).Select(i => i * 0.1f).ToArray(), 30);
        var x = RandomWeight(5, 64, 3).Reshape(5, 64);
        var expected = x.MatMul(w.T()).Add(bias).ToArray();
        var actual = Tensor.QuantizedLinear(x, QuantizedWeight.Quantize(w), bias).ToArray();
        float norm = MathF.Sqrt(expected.Sum(v => v * v));
        float error = MathF.Sqrt(expected.Zip(actual).Sum(p => (p.First - p.Second) * (p.First - p.Second)));
        Assert.True(error / norm < 0.01f, $"relative error {error / norm}");
    }

    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(2, 0, 1)]
    [InlineData(1, 2, 2)]
    public void QuantizedConv2dIsCloseToFloatConv2d(int stride, int pad, int dilation)
    {
        var rng = new Random(4);
        var w = Tensor.FromArray(Enumerable.Range(0, 8 * 3 * 3 * 3).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray(), 8, 3, 3, 3);
        var x = Tensor.FromArray(Enumerable.Range(0, 2 * 3 * 7 * 6).Select(_ => (float)rng.NextDouble()).ToArray(), 2, 3, 7, 6);
        var bias = Tensor.FromArray(Enumerable.Range(0, 8).Select(i => i * 0.1f).ToArray(), 8);
        var expected = Tensor.Conv2d(x, w, bias, (stride, stride), (pad, pad), (dilation, dilation)).ToArray();
        var actual = Tensor.QuantizedConv2d(x, QuantizedWeight.Quantize(w), bias, (stride, stride), (pad, pad), (dilation, dilation)).ToArray();
        Assert.Equal(expected.Length, actual.Length);
        float norm = MathF.Sqrt(expected.Sum(v => v * v));
        float error = MathF.Sqrt(expected.Zip(actual).Sum(p => (p.First - p.Second) * (p.First - p.Second)));
        Assert.True(error / norm < 0.01f, $"relative error {error / norm}");
    }

    [Fact]
    public void BadScalesAreRefusedWithTheTensorName()
    {
        var q = QuantizedWeight.Quantize(RandomWeight(4, 8, 5));
        var e = Assert.Throws<InvalidDataException>(() => QuantizedWeight.FromInt8(q.Values, Tensor.FromArray(new[] { 1f, 0f, 1f, 1f }, 4), "fc.weight"));
        Assert.Contains("fc.weight_scale", e.Message);
        Assert.Contains("channel 1", e.Message);
        e = Assert.Throws<InvalidDataException>(() => QuantizedWeight.FromInt8(q.Values, Tensor.FromArray(new[] { 1f, 1f }, 2), "fc.weight"));
        Assert.Contains("does not match 4 output channels", e.Message);
        e = Assert.Throws<InvalidDataException>(() => QuantizedWeight.FromInt8(q.Dequantize(), q.Scale, "fc.weight"));
        Assert.Contains("must be I8", e.Message);
    }

    [Fact]
    public void QuantizedLinearRefusesInputsThatNeedGradients()
    {
        var q = QuantizedWeight.Quantize(RandomWeight(4, 8, 6));
        var x = RandomWeight(2, 8, 7);
        x.RequiresGrad = true;
        var e = Assert.Throws<InvalidOperationException>(() => Tensor.QuantizedLinear(x, q));
        Assert.Contains("no gradient", e.Message);
    }
}
