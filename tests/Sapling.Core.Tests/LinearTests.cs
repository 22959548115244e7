using Sapling.Testing;

namespace Sapling.Core.Tests;

/// <summary>Tensor.Linear against MatMul + Add on the layouts and sizes the PyTorch fixtures do not cover.</summary>
public class LinearTests
{
    /// <summary>Linear(input, view(leaf), bias) against input·view(leaf)ᵀ + bias, in values and in the leaves' gradients.</summary>
    private static void MatchesMatMulThenAdd(Tensor input, Tensor weightLeaf, Func<Tensor, Tensor> view, Tensor? bias)
    {
        var (x1, w1) = (input.Detach().Clone().RequiresGrad_(), weightLeaf.Detach().Clone().RequiresGrad_());
        var (x2, w2) = (input.Detach().Clone().RequiresGrad_(), weightLeaf.Detach().Clone().RequiresGrad_());
        var b1 = bias?.Detach().Clone().RequiresGrad_();
        var b2 = bias?.Detach().Clone().RequiresGrad_();
        var fused = Tensor.Linear(x1, view(w1), b1);
        var product = x2.MatMul(view(w2).T());
        var reference = b2 != null ? product.Add(b2) : product;
        TensorAssert.Close(reference, fused, 1e-5f, 1e-6f, "output");
        var upstream = Tensor.Randn(reference.Shape.ToArray(), new Generator(9));
        fused.Backward(upstream);
        reference.Backward(upstream);
        TensorAssert.Close(x2.Grad!, x1.Grad!, 1e-5f, 1e-5f, "input gradient");
        TensorAssert.Close(w2.Grad!, w1.Grad!, 1e-5f, 1e-5f, "weight gradient");
        if (b1 != null) TensorAssert.Close(b2!.Grad!, b1.Grad!, 1e-5f, 1e-5f, "bias gradient");
    }

    [Fact]
    public void ANonContiguousInputMatches()
    {
        var g = new Generator(1);
        var input = Tensor.Randn([5, 2, 3], g).Transpose(0, 1);
        Assert.False(input.IsContiguous);
        MatchesMatMulThenAdd(input, Tensor.Randn([4, 3], g), w => w, Tensor.Randn([4], g));
    }

    [Fact]
    public void AWeightStoredInOutAndPassedTransposedMatches()
    {
        var g = new Generator(2);
        var stored = Tensor.Randn([3, 4], g);
        var x = Tensor.Randn([2, 5, 3], g).RequiresGrad_();
        var w = stored.Clone().RequiresGrad_();
        var b = Tensor.Randn([4], g).RequiresGrad_();
        var y = Tensor.Linear(x, w.T(), b);
        TensorAssert.Close(x.Detach().MatMul(stored).Add(b.Detach()), y, 1e-5f, 1e-6f);
        y.Square().Sum().Backward();
        Assert.True(w.Grad!.IsContiguous);
        var expected = x.Detach().Reshape(10, 3).T().MatMul(y.Detach().Mul(2f).Reshape(10, 4));
        TensorAssert.Close(expected, w.Grad, 1e-5f, 1e-5f);
    }

    [Fact]
    public void NarrowedAndRepeatedWeightsMatch()
    {
        var g = new Generator(3);
        MatchesMatMulThenAdd(Tensor.Randn([6, 3], g), Tensor.Randn([4, 7], g), w => w.Narrow(1, 2, 3), Tensor.Randn([4], g));
        MatchesMatMulThenAdd(Tensor.Randn([6, 3], g), Tensor.Randn([7, 3], g), w => w.Narrow(0, 1, 4), null);
        // One row repeated (stride 0) has no GEMM layout and is copied first.
        MatchesMatMulThenAdd(Tensor.Randn([6, 3], g), Tensor.Randn([2, 3], g), w => w.Narrow(0, 1, 1).Expand(4, 3), Tensor.Randn([4], g));
    }

    [Fact]
    public void EmptyBatchesAndZeroFeaturesGiveTheBiasOrZeros()
    {
        var g = new Generator(4);
        var bias = Tensor.Randn([3], g);
        var none = Tensor.Linear(Tensor.Zeros(0, 5), Tensor.Randn([3, 5], g), bias);
        Assert.Equal([0, 3], none.Shape);
        var noInputs = Tensor.Linear(Tensor.Zeros(2, 0), Tensor.Zeros(3, 0), bias);
        Assert.Equal(bias.ToArray().Concat(bias.ToArray()), noInputs.ToArray());
        Assert.Equal(new float[6], Tensor.Linear(Tensor.Zeros(2, 0), Tensor.Zeros(3, 0)).ToArray());
    }

    [Fact]
    public void BadShapesNameTheOpAndBothShapes()
    {
        var e = Assert.Throws<ArgumentException>(() => Tensor.Linear(Tensor.Zeros(2, 5), Tensor.Zeros(3, 4)));
        Assert.Contains("linear", e.Message);
        Assert.Contains("[2, 5]", e.Message);
        Assert.Contains("[3, 4]", e.Message);
        e = Assert.Throws<ArgumentException>(() => Tensor.Linear(Tensor.Zeros(2, 4), Tensor.Zeros(3, 4), Tensor.Zeros(4)));
        Assert.Contains("bias shape [4]", e.Message);
    }

    [Fact]
    public void AttentionWeightsBroadcastKeysOverTheBatch()
    {
        var g = new Generator(5);
        var q = Tensor.Randn([3, 2, 4, 8], g).RequiresGrad_();
        var k = Tensor.Randn([1, 2, 6, 8], g).RequiresGrad_();
        var (q2, k2) = (q.Detach().Clone().RequiresGrad_(), k.Detach().Clone().RequiresGrad_());
        var fused = Tensor.CausalAttentionWeights(q, k, 0.25);
        var reference = q2.MatMul(k2.Transpose(-1, -2)).Mul(0.25f).CausalSoftmax(2);
        TensorAssert.Close(reference, fused, 1e-5f, 1e-6f);
        var upstream = Tensor.Randn([3, 2, 4, 6], g);
        fused.Backward(upstream);
        reference.Backward(upstream);
        TensorAssert.Close(q2.Grad!, q.Grad!, 1e-4f, 1e-5f, "dq");
        TensorAssert.Close(k2.Grad!, k.Grad!, 1e-4f, 1e-5f, "dk");
    }
}
