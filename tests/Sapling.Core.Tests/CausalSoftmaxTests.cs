using Sapling.Backends;
using Sapling.Backends.Cpu;
using Sapling.Backends.Reference;
using Sapling.Testing;

namespace Sapling.Core.Tests;

public class CausalSoftmaxTests
{
    [Theory]
    [InlineData(1, 1, 1, 0)]
    [InlineData(2, 7, 7, 0)]
    [InlineData(3, 5, 17, 12)]
    [InlineData(4, 33, 33, 0)]
    [InlineData(2, 9, 1031, 1000)]
    [InlineData(1, 6, 4, 0)] // more queries than keys: the last rows see every key
    public void EqualsTheSoftmaxOfTheMaskedScores(int batch, int queries, int keys, int offset)
    {
        var g = new Generator((ulong)(queries * 100 + keys));
        var scores = Tensor.Randn([batch, queries, keys], g).Mul(3f);
        using var future = Tensor.Ones(queries, keys).Triu(offset + 1).Gt(0f);
        var expected = scores.MaskedFill(future, float.NegativeInfinity).Softmax(-1);
        TensorAssert.Close(expected, scores.CausalSoftmax(offset), rtol: 1e-5f, atol: 1e-7f);
        foreach (var kernels in new IKernels[] { new ReferenceKernels(), CpuKernels.Instance })
            using (Backend.Use(kernels))
                TensorAssert.Close(expected, scores.CausalSoftmax(offset), rtol: 1e-5f, atol: 1e-7f);
    }

    [Fact]
    public void GradientMatchesFiniteDifferencesAndTheMaskedComposition()
    {
        var g = new Generator(3);
        GradCheck.Check(x => x[0].CausalSoftmax(1), [Tensor.Randn([2, 3, 5], g)]);
        var a = Tensor.Randn([2, 4, 6], g).RequiresGrad_();
        var b = a.Detach().Clone().RequiresGrad_();
        var upstream = Tensor.Randn([2, 4, 6], g);
        a.CausalSoftmax(2).Backward(upstream);
        using (var future = Tensor.Ones(4, 6).Triu(3).Gt(0f))
            b.MaskedFill(future, float.NegativeInfinity).Softmax(-1).Backward(upstream);
        TensorAssert.Close(b.Grad!, a.Grad!, rtol: 1e-5f, atol: 1e-7f);
    }

    [Fact]
    public void BadShapesAndOffsetsAreRefusedByName()
    {
        Assert.Contains("causal_softmax", Assert.Throws<ArgumentException>(() => Tensor.Ones(4).CausalSoftmax()).Message);
        Assert.Contains("causal_softmax", Assert.Throws<ArgumentOutOfRangeException>(() => Tensor.Ones(2, 2).CausalSoftmax(-1)).Message);
    }
}
