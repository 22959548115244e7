using Sapling.Autograd;
using Sapling.Testing;

namespace Sapling.NN.Tests;

/// <summary>
/// Conv2d.Forward with a batch norm: one fused pass in evaluation without a graph, the composed modules otherwise;
/// both give the composition's values.
/// </summary>
public class ConvBatchNormTests
{
    /// <summary>A convolution (with bias and groups) and a batch norm whose running statistics are not the defaults.</summary>
    private static (Conv2d Conv, BatchNorm2d Norm) Layers(int groups)
    {
        var g = new Generator(5);
        var conv = new Conv2d(6, 12, 3, stride: 2, padding: 1, groups: groups, bias: true, generator: g);
        var norm = new BatchNorm2d(12);
        using (NoGrad.Enter())
        {
            norm.RunningMean.CopyFrom(Tensor.Randn([12], generator: g).Mul(0.3));
            norm.RunningVar.CopyFrom(Tensor.Rand([12], generator: g).Add(0.5));
            norm.Weight!.CopyFrom(Tensor.Randn([12], generator: g));
            norm.Bias!.CopyFrom(Tensor.Randn([12], generator: g));
        }
        return (conv, norm);
    }

    private static Tensor Composed(Conv2d conv, BatchNorm2d norm, Tensor x, Tensor? residual, bool relu)
    {
        var y = norm.Forward(conv.Forward(x));
        if (residual != null) y = y.Add(residual);
        return relu ? y.Relu() : y;
    }

    [Theory]
    [InlineData(1, false, false)]
    [InlineData(1, true, true)]
    [InlineData(3, false, true)]
    public void FusedInferenceEqualsTheComposedModules(int groups, bool withResidual, bool relu)
    {
        var (conv, norm) = Layers(groups);
        conv.Eval();
        norm.Eval();
        var x = Tensor.Randn([4, 6, 11, 9], generator: new Generator(6));
        var residual = withResidual ? Tensor.Randn([4, 12, 6, 5], generator: new Generator(7)) : null;
        Tensor fused, composed;
        using (NoGrad.Enter())
        {
            fused = conv.Forward(x, norm, residual, relu);
            composed = Composed(conv, norm, x, residual, relu);
        }
        TensorAssert.Close(composed, fused, 1e-5f, 1e-5f, "fused conv, batch norm, residual and relu");
    }

    [Fact]
    public void TrainingComposesTheModulesAndGradientsFlow()
    {
        var (conv, norm) = Layers(1);
        var x = Tensor.Randn([4, 6, 11, 9], generator: new Generator(6));
        var residual = Tensor.Randn([4, 12, 6, 5], generator: new Generator(7));
        var y = conv.Forward(x, norm, residual, relu: true);
        Assert.NotNull(y.GradFn);
        y.Sum().Backward();
        Assert.NotNull(conv.Weight.Grad);
        Assert.NotNull(norm.Weight!.Grad);
        // In evaluation with a graph (weights that require gradients) the composition runs too, so gradients still flow.
        conv.Eval();
        norm.Eval();
        conv.Weight.Grad = null;
        conv.Forward(x, norm, residual, relu: true).Sum().Backward();
        Assert.NotNull(conv.Weight.Grad);
    }

    [Fact]
    public void FusedConvRefusesInputsThatNeedGradients()
    {
        var x = Tensor.Randn([1, 2, 5, 5], generator: new Generator(1)).RequiresGrad_();
        var w = Tensor.Randn([3, 2, 3, 3], generator: new Generator(2));
        var e = Assert.Throws<InvalidOperationException>(() => Tensor.FusedConv2d(x, w, relu: true));
        Assert.Contains("fused_conv2d", e.Message);
        Assert.Contains("no_grad", e.Message);
        var wrong = Assert.Throws<ArgumentException>(() => { using (NoGrad.Enter()) Tensor.FusedConv2d(x, w, residual: Tensor.Zeros(1, 3, 4, 4)); });
        Assert.Contains("residual shape [1, 3, 4, 4]", wrong.Message);
    }
}
