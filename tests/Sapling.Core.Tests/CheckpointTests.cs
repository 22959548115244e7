using Sapling.Testing;

namespace Sapling.Core.Tests;

/// <summary>Activation checkpointing gives the gradients of the plain graph while keeping none of the body's intermediates.</summary>
public class CheckpointTests
{
    private static Tensor Body(Tensor x, Tensor w1, Tensor w2) => Tensor.Linear(Tensor.Linear(x, w1).Tanh().Dropout(0.3f), w2).Silu();

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void GradientsMatchThePlainGraph(bool inputRequiresGrad)
    {
        var g = new Generator(5);
        var w1 = Tensor.Randn([7, 5], g).RequiresGrad_();
        var w2 = Tensor.Randn([3, 7], g).RequiresGrad_();
        var x = Tensor.Randn([4, 5], g).RequiresGrad_(inputRequiresGrad);
        var (v1, v2, xc) = (w1.Detach().Clone().RequiresGrad_(), w2.Detach().Clone().RequiresGrad_(), x.Detach().Clone().RequiresGrad_(inputRequiresGrad));
        var upstream = Tensor.Randn([4, 3], g);

        Generator.Default.ManualSeed(42);
        var plain = Body(x, w1, w2);
        plain.Backward(upstream);
        Generator.Default.ManualSeed(42);
        var checkpointed = Tensor.Checkpoint(h => Body(h, v1, v2), xc, [v1, v2]);
        Assert.True(checkpointed.RequiresGrad);
        checkpointed.Backward(upstream);

        TensorAssert.Close(plain, checkpointed, 0f, 0f, "output (dropout masks replayed)");
        TensorAssert.Close(w1.Grad!, v1.Grad!, 1e-6f, 1e-6f, "w1");
        TensorAssert.Close(w2.Grad!, v2.Grad!, 1e-6f, 1e-6f, "w2");
        if (inputRequiresGrad) TensorAssert.Close(x.Grad!, xc.Grad!, 1e-6f, 1e-6f, "input");
        else Assert.Null(xc.Grad);
    }

    [Fact]
    public void WithoutGradientsTheBodySimplyRuns()
    {
        var w = Tensor.Randn([3, 3], new Generator(1));
        var x = Tensor.Randn([2, 3], new Generator(2));
        var y = Tensor.Checkpoint(h => Tensor.Linear(h, w), x, [w]);
        Assert.False(y.RequiresGrad);
        TensorAssert.Close(Tensor.Linear(x, w), y, 0f, 0f);
    }
}
