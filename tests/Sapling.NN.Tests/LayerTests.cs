using Sapling.Autograd;
using Sapling.Testing;

namespace Sapling.NN.Tests;

public class LayerTests
{
    private static void SetData(Tensor target, Tensor source)
    {
        using var _ = NoGrad.Enter();
        target.CopyFrom(source);
    }

    [Theory]
    [InlineData("nn.batch_norm2d_train")]
    [InlineData("nn.batch_norm1d_train")]
    public void BatchNormTrainingMatchesPyTorch(string name)
    {
        var fx = Fixtures.Op(name);
        int channels = fx.Inputs[0].Shape[1];
        BatchNorm bn = fx.Inputs[0].Rank == 4 ? new BatchNorm2d(channels) : new BatchNorm1d(channels);
        SetData(bn.Weight!, fx.Inputs[1]);
        SetData(bn.Bias!, fx.Inputs[2]);
        var x = fx.Inputs[0].Clone().RequiresGrad_();
        var y = bn.Forward(x);
        TensorAssert.Close(fx.Outputs[0], y, 1e-4f, 1e-5f, "output");
        TensorAssert.Close(fx.Outputs[1], bn.RunningMean, 1e-4f, 1e-6f, "running mean");
        TensorAssert.Close(fx.Outputs[2], bn.RunningVar, 1e-4f, 1e-6f, "running var");
        y.Backward(fx.Upstream);
        TensorAssert.Close(fx.Grads[0]!, x.Grad!, 1e-3f, 1e-4f, "input gradient");
        TensorAssert.Close(fx.Grads[1]!, bn.Weight!.Grad!, 1e-3f, 1e-4f, "weight gradient");
        TensorAssert.Close(fx.Grads[2]!, bn.Bias!.Grad!, 1e-3f, 1e-4f, "bias gradient");
    }

    [Fact]
    public void BatchNormEvalUsesRunningStatistics()
    {
        var fx = Fixtures.Op("nn.batch_norm2d_eval");
        var bn = new BatchNorm2d(3);
        SetData(bn.Weight!, fx.Inputs[1]);
        SetData(bn.Bias!, fx.Inputs[2]);
        SetData(bn.RunningMean, fx.Inputs[3]);
        SetData(bn.RunningVar, fx.Inputs[4]);
        bn.Eval();
        TensorAssert.Close(fx.Outputs[0], bn.Forward(fx.Inputs[0]), 1e-4f, 1e-5f);
    }

    [Fact]
    public void LinearComputesXWTransposePlusBias()
    {
        var lin = new Linear(3, 2);
        SetData(lin.Weight, Tensor.FromArray(new float[] { 1, 2, 3, 4, 5, 6 }, 2, 3));
        SetData(lin.Bias!, Tensor.FromArray(new float[] { 0.5f, -1 }));
        var y = lin.Forward(Tensor.FromArray(new float[] { 1, 0, -1, 2, 1, 0 }, 2, 3));
        Assert.Equal(new float[] { -1.5f, -3, 4.5f, 12 }, y.ToArray());
        var ex = Assert.Throws<ArgumentException>(() => lin.Forward(Tensor.Zeros(2, 4)));
        Assert.Contains("[2, 4]", ex.Message);
    }

    [Fact]
    public void DefaultInitialisationUsesPyTorchBounds()
    {
        var lin = new Linear(100, 50, generator: new Generator(1));
        float bound = 1f / MathF.Sqrt(100);
        Assert.All(lin.Weight.ToArray(), v => Assert.InRange(v, -bound, bound));
        Assert.All(lin.Bias!.ToArray(), v => Assert.InRange(v, -bound, bound));
        Assert.InRange(lin.Weight.ToArray().Max(), bound * 0.9f, bound);
        var conv = new Conv2d(4, 8, 3, generator: new Generator(2));
        float convBound = 1f / MathF.Sqrt(4 * 9);
        Assert.All(conv.Weight.ToArray(), v => Assert.InRange(v, -convBound, convBound));
        var w = Init.KaimingNormal(Tensor.Empty(400, 300), nonlinearity: "relu", g: new Generator(3));
        Assert.InRange(w.Std([0, 1]).Item(), MathF.Sqrt(2f / 300) * 0.97f, MathF.Sqrt(2f / 300) * 1.03f);
        var x = Init.XavierUniform(Tensor.Empty(30, 20), g: new Generator(4));
        Assert.All(x.ToArray(), v => Assert.InRange(v, -MathF.Sqrt(6f / 50), MathF.Sqrt(6f / 50)));
    }

    [Fact]
    public void DropoutIsIdentityInEvalAndScalesInTraining()
    {
        var d = new Dropout(0.25f, new Generator(5));
        var x = Tensor.Ones(10_000);
        var y = d.Forward(x).ToArray();
        Assert.All(y, v => Assert.True(v == 0f || MathF.Abs(v - 1f / 0.75f) < 1e-6f));
        Assert.InRange(y.Count(v => v == 0f) / 10_000.0, 0.22, 0.28);
        d.Eval();
        Assert.Equal(x.ToArray(), d.Forward(x).ToArray());
    }

    [Fact]
    public void PoolingAndFlattenModulesMatchFunctionalOps()
    {
        var x = Tensor.Randn([2, 3, 8, 8], new Generator(6));
        Assert.Equal(new[] { 2, 3, 4, 4 }, new MaxPool2d(2).Forward(x).Shape);
        Assert.Equal(new[] { 2, 3, 1, 1 }, new AdaptiveAvgPool2d(1).Forward(x).Shape);
        TensorAssert.Close(x.Mean([2, 3]), new AdaptiveAvgPool2d(1).Forward(x).Reshape(2, 3), 1e-5f, 1e-6f);
        Assert.Equal(new[] { 2, 192 }, new Flatten().Forward(x).Shape);
    }

    [Fact]
    public void EmbeddingLooksUpRows()
    {
        var e = new Embedding(5, 3, new Generator(7));
        var y = e.Forward(Tensor.FromArray(new long[] { 4, 0 }));
        Assert.Equal(e.Weight.Select(0, 4).ToArray(), y.Select(0, 0).ToArray());
    }

    [Fact]
    public void ABatchNormWithoutRunningStatisticsSaysSoWhenAskedForThem()
    {
        var norm = new BatchNorm2d(4, trackRunningStats: false);
        Assert.Contains("running mean", Assert.Throws<InvalidOperationException>(() => norm.RunningMean).Message);
        Assert.Contains("running mean", Assert.Throws<InvalidOperationException>(() => norm.RunningVar).Message);
    }
}
