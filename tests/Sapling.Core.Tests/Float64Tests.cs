using Sapling.Backends;
using Sapling.Testing;
using Xunit.Sdk;
using Sapling.Quantization;

namespace Sapling.Core.Tests;

/// <summary>The float64 compute dtype: double storage, double kernels, clear refusals, and the double-precision gradient check.</summary>
public class Float64Tests
{
    private static Tensor Doubles(double[] values, params int[] shape) => Tensor.FromArray(values, shape);

    [Fact]
    public void Float64HoldsWhatFloat32Rounds()
    {
        var x = Doubles([1 + 1e-12, 1]);
        using var difference = x.Narrow(0, 0, 1).Sub(x.Narrow(0, 1, 1));
        Assert.Equal(DType.Float64, difference.DType);
        Assert.Equal((1 + 1e-12) - 1, difference.ItemAsDouble());
        using var single = x.To(DType.Float32);
        Assert.Equal(0f, single.Narrow(0, 0, 1).Sub(single.Narrow(0, 1, 1)).Item());
    }

    [Fact]
    public void MatMulAndSoftmaxComputeInDouble()
    {
        var a = Doubles([1 + 1e-12, 2, 3, 4], 2, 2);
        var b = Doubles([5, 6, 7, 8], 2, 2);
        var c = a.MatMul(b).ToArray<double>();
        Assert.Equal(5 * (1 + 1e-12) + 14, c[0], 1e-14);
        Assert.Equal(6 * (1 + 1e-12) + 16, c[1], 1e-14);
        Assert.NotEqual(19.0, c[0]);

        var p = Doubles([0, 1e-12]).Softmax().ToArray<double>();
        Assert.Equal(Math.Tanh(0.5e-12), p[1] - p[0], 1e-16);
    }

    [Fact]
    public void Float64RunsOnTheDoubleReferenceKernelsWhateverTheBackend()
    {
        Assert.Equal("reference-double", Backend.Float64.Name);
        var x = Doubles([0.5, -1.25, 2], 3);
        using (Backend.Use(new Sapling.Backends.Reference.ReferenceKernels()))
        {
            var onReference = x.Exp().ToArray<double>();
            Assert.Equal(x.Exp().ToArray<double>(), onReference);
            Assert.Equal(Math.Exp(-1.25), onReference[1]);
        }
        Assert.Equal(Math.Exp(-1.25), x.Exp().ToArray<double>()[1]);
    }

    [Fact]
    public void GradientsOfFloat64TensorsAreFloat64()
    {
        var x = Doubles([0.5, -1.5, 2], 3).RequiresGrad_();
        x.Square().Sum().Backward();
        Assert.Equal(DType.Float64, x.Grad!.DType);
        Assert.Equal([1.0, -3.0, 4.0], x.Grad.ToArray<double>());
        x.ZeroGrad();
        Assert.Equal([0.0, 0.0, 0.0], x.Grad.ToArray<double>());
    }

    [Fact]
    public void MixingFloat32AndFloat64IsRefusedWithBothDTypesNamed()
    {
        var f = Tensor.Ones(2);
        var d = Tensor.Ones(2).To(DType.Float64);
        var e = Assert.Throws<ArgumentException>(() => f.Add(d));
        Assert.Contains("add", e.Message);
        Assert.Contains("float32", e.Message);
        Assert.Contains("float64", e.Message);
        e = Assert.Throws<ArgumentException>(() => Tensor.LayerNorm(d, [2], f, null));
        Assert.Contains("layer_norm", e.Message);
        e = Assert.Throws<ArgumentException>(() => d.MatMul(f));
        Assert.Contains("matmul", e.Message);
    }

    [Fact]
    public void BackwardRefusesAGradientOfAnotherDType()
    {
        var x = Doubles([1, 2], 2).RequiresGrad_();
        var y = x.Mul(3f);
        var e = Assert.Throws<ArgumentException>(() => y.Backward(Tensor.Ones(2)));
        Assert.Contains("gradient dtype float32 does not match output dtype float64", e.Message);
    }

    [Fact]
    public void OnlyComputeDTypesRequireGradAndInt8KernelsStayFloat32()
    {
        var e = Assert.Throws<InvalidOperationException>(() => Tensor.ArangeLong(3).RequiresGrad_());
        Assert.Contains("float32 and float64", e.Message);
        e = Assert.Throws<InvalidOperationException>(() => Tensor.ArangeLong(3).RequiresGrad_());
        Assert.Contains("int64", e.Message);
        var full = Assert.Throws<ArgumentException>(() => Tensor.Full([2], 1, DType.Int32));
        Assert.Contains("int32", full.Message);
    }

    [Fact]
    public void RandomTensorsCanBeMadeInFloat64()
    {
        var single = Tensor.Randn([5], new Generator(9)).ToArray();
        var doubles = Tensor.Randn([5], new Generator(9), DType.Float64).ToArray<double>();
        for (int i = 0; i < 5; i++) Assert.Equal(single[i], (float)doubles[i]);
        Assert.Contains(doubles, v => v != (float)v);
        var uniform = Tensor.Rand([1000], new Generator(9), DType.Float64).ToArray<double>();
        Assert.All(uniform, v => Assert.InRange(v, 0.0, 1.0 - 1e-17));
        Assert.Contains(uniform, v => v != (float)v);
        Assert.Contains("int64", Assert.Throws<ArgumentException>(() => Tensor.Rand([2], dtype: DType.Int64)).Message);
    }

    [Fact]
    public void ToStringNamesTheDType()
    {
        Assert.Equal("tensor([1.5000, 2.0000], dtype=float64)", Doubles([1.5, 2], 2).ToString());
    }

    [Fact]
    public void ConversionsToAndFromFloat64AreExactWhereTheTargetAllows()
    {
        var x = Tensor.FromArray([0.1f, -2.5f, 3e38f], 3);
        var d = x.To(DType.Float64);
        Assert.Equal([(double)0.1f, -2.5, (double)3e38f], d.ToArray<double>());
        Assert.Equal(x.ToArray(), d.To(DType.Float32).ToArray());
        Assert.Equal([0L, -2L, 7L], Doubles([0.9, -2.7, 7.2], 3).To(DType.Int64).ToArray<long>());
        // 2²⁴ + 1 is the first integer float32 cannot hold.
        Assert.Equal([16777217.0], Tensor.FromArray([16777217L], 1).To(DType.Float64).ToArray<double>());
        Assert.Equal([16777216f], Tensor.FromArray([16777217L], 1).To(DType.Float32).ToArray());
    }

    [Fact]
    public void ConversionBetweenFloat32AndFloat64PassesGradients()
    {
        var x = Tensor.FromArray([1.5f, -2f], 2).RequiresGrad_();
        x.To(DType.Float64).Mul(3f).Sum().Backward();
        Assert.Equal(DType.Float32, x.Grad!.DType);
        Assert.Equal([3f, 3f], x.Grad.ToArray());
    }

    [Fact]
    public void ScalarsReachFloat64TensorsInDoublePrecision()
    {
        var one = Doubles([1], 1);
        Assert.Equal(0.1, one.Mul(0.1).ToArray<double>()[0]);
        Assert.Equal(1.1, one.Add(0.1).ToArray<double>()[0]);
        Assert.True(one.Mul(0.1).Eq(0.1).ToArray<bool>()[0]);
        Assert.False(one.Mul(0.1).Eq(0.1f).ToArray<bool>()[0]);
        // A float32 tensor compares with the scalar rounded to float32, as PyTorch does.
        Assert.True(Tensor.FromArray([0.1f], 1).Eq(0.1).ToArray<bool>()[0]);
        Assert.Equal([0.25, 0.5], Doubles([0.1, 0.5], 2).Clamp(0.25, 0.75).ToArray<double>());
    }

    [Fact]
    public void LayerNormUsesItsEpsilonInDouble()
    {
        var x = Doubles([1, 2, 4, 7], 1, 4);
        double mean = 3.5, variance = (6.25 + 2.25 + 0.25 + 12.25) / 4, inv = 1 / Math.Sqrt(variance + 1e-5);
        var y = Tensor.LayerNorm(x, [4], null, null).ToArray<double>();
        for (int i = 0; i < 4; i++) Assert.Equal((x.ToArray<double>()[i] - mean) * inv, y[i], 1e-15);
    }

    [Fact]
    public void AttentionScalesFloat64ScoresByTheDoubleRootOfTheHeadSize()
    {
        var g = new Generator(6);
        var q = Tensor.Randn([1, 1, 3, 5], g).To(DType.Float64);
        var k = Tensor.Randn([1, 1, 3, 5], g).To(DType.Float64);
        var v = Tensor.Randn([1, 1, 3, 5], g).To(DType.Float64);
        var fused = Tensor.CausalAttention(q, k, v).ToArray<double>();
        var composed = q.MatMul(k.Transpose(-1, -2)).Mul(1 / Math.Sqrt(5)).CausalSoftmax().MatMul(v).ToArray<double>();
        for (int i = 0; i < fused.Length; i++) Assert.Equal(composed[i], fused[i], 1e-14);
    }

    [Fact]
    public void AGradientRuleReturningTheWrongDTypeIsReportedAsAnInternalError()
    {
        var x = Doubles([1, 2], 2).RequiresGrad_();
        var y = Tensor.Record(x.Detach().Mul(2f), "broken", x, g => g.To(DType.Float32));
        var e = Assert.Throws<InvalidOperationException>(() => y.Sum().Backward());
        Assert.Contains("'broken' returned float32 for a float64 input", e.Message);
    }

    [Fact]
    public void Int8LayersRefuseFloat64InputsAndBiases()
    {
        var weight = QuantizedWeight.Quantize(Tensor.Randn([3, 4], new Generator(7)));
        var e = Assert.Throws<ArgumentException>(() => Tensor.QuantizedLinear(Tensor.Ones(2, 4), weight, Tensor.Zeros([3], DType.Float64)));
        Assert.Contains("quantized_linear: expected a float32 tensor, got float64", e.Message);
        e = Assert.Throws<ArgumentException>(() => Tensor.QuantizedLinear(Tensor.Ones(2, 4).To(DType.Float64), weight));
        Assert.Contains("float64", e.Message);
    }

    [Fact]
    public void GradCheckRunsTheFunctionInFloat64()
    {
        var seen = new List<DType>();
        GradCheck.Check(x =>
        {
            seen.Add(x[0].DType);
            return x[0].Tanh();
        }, [Tensor.Randn([2, 3], new Generator(1))]);
        Assert.All(seen, dtype => Assert.Equal(DType.Float64, dtype));
        Assert.True(seen.Count > 12);
    }

    [Fact]
    public void GradCheckCatchesAGradientThatIgnoresAPath()
    {
        // x·detach(x): autograd sees only one factor, so it reports x where the true derivative is 2x.
        var error = Assert.Throws<XunitException>(() => GradCheck.Check(x => x[0].Mul(x[0].Detach()), [Tensor.Randn([4], new Generator(2))]));
        Assert.Contains("finite differences", error.Message);
    }

    [Fact]
    public void GradCheckCatchesAGradientWrongByAFifthOfAPercent()
    {
        // The derivative is 1.002 while autograd reports 1: within the old float32 check's 2% tolerance, outside this one's.
        Assert.Throws<XunitException>(() => GradCheck.Check(x => x[0].Add(x[0].Detach().Mul(0.002f)), [Tensor.Randn([3], new Generator(3))]));
        GradCheck.Check(x => x[0].Mul(1.002f), [Tensor.Randn([3], new Generator(3))]);
    }

    [Fact]
    public void GradCheckRefusesAFunctionThatLeavesFloat64()
    {
        var error = Assert.Throws<XunitException>(() => GradCheck.Check(x => x[0].To(DType.Float32).Mul(2f), [Tensor.Randn([2], new Generator(4))]));
        Assert.Contains("float32", error.Message);
    }
}
