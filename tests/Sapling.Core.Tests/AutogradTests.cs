using Sapling.Autograd;

namespace Sapling.Core.Tests;

public class AutogradTests
{
    [Fact]
    public void GradientsAccumulateAcrossBackwardCalls()
    {
        var x = Tensor.FromArray(new float[] { 1, 2, 3 }).RequiresGrad_();
        (x * x).Sum().Backward();
        (x * 3f).Sum().Backward();
        Assert.Equal(new float[] { 5, 7, 9 }, x.Grad!.ToArray());
        x.ZeroGrad();
        Assert.Equal(new float[] { 0, 0, 0 }, x.Grad!.ToArray());
    }

    [Fact]
    public void SharedSubexpressionGetsBothContributions()
    {
        var x = Tensor.FromArray(new float[] { 2 }).RequiresGrad_();
        var y = x * x;
        (y * y + y).Sum().Backward();
        // d/dx (x^4 + x^2) = 4x^3 + 2x = 36
        Assert.Equal(36f, x.Grad!.Item(), 4);
    }

    [Fact]
    public void NoGradRecordsNothing()
    {
        var x = Tensor.Ones(2).RequiresGrad_();
        Tensor y;
        using (NoGrad.Enter()) y = x * 2f;
        Assert.False(y.RequiresGrad);
        Assert.Null(y.GradFn);
    }

    [Fact]
    public void DetachCutsTheGraph()
    {
        var x = Tensor.Ones(2).RequiresGrad_();
        var y = (x * 2f).Detach();
        Assert.False(y.RequiresGrad);
        var z = (x * y).Sum();
        z.Backward();
        Assert.Equal(new float[] { 2, 2 }, x.Grad!.ToArray());
    }

    [Fact]
    public void SecondBackwardThroughFreedGraphExplains()
    {
        var x = Tensor.Ones(2).RequiresGrad_();
        var y = (x.Exp()).Sum();
        y.Backward();
        var ex = Assert.Throws<InvalidOperationException>(() => y.Backward());
        Assert.Contains("retainGraph", ex.Message);
    }

    [Fact]
    public void RetainGraphAllowsSecondBackward()
    {
        var x = Tensor.Ones(2).RequiresGrad_();
        var y = x.Exp().Sum();
        y.Backward(retainGraph: true);
        y.Backward();
        Assert.Equal(2 * MathF.E, x.Grad![0], 4);
    }

    [Fact]
    public void GradFnNamesTheOp()
    {
        var x = Tensor.Ones(2, 2).RequiresGrad_();
        var y = x.MatMul(x);
        Assert.Equal("matmul", y.GradFn!.Name);
        Assert.Contains("grad_fn=<matmulBackward>", y.ToString());
    }

    [Fact]
    public void DeepChainDoesNotOverflowTheStack()
    {
        var x = Tensor.Ones(1).RequiresGrad_();
        var y = x;
        for (int i = 0; i < 20000; i++) y = y * 1f;
        y.Sum().Backward();
        Assert.Equal(1f, x.Grad!.Item());
    }

    [Fact]
    public void GradientThroughViewsOfViews()
    {
        var x = Tensor.Arange(0, 6).Reshape(2, 3).RequiresGrad_();
        var y = x.T().Narrow(0, 1, 2).Reshape(-1) * Tensor.FromArray(new float[] { 1, 2, 3, 4 });
        y.Sum().Backward();
        Assert.Equal(new float[] { 0, 1, 3, 0, 2, 4 }, x.Grad!.ToArray());
    }
}

public class GradientOwnershipTests
{
    [Fact]
    public void LeavesSharingOneUpstreamGradientGetSeparateBuffers()
    {
        var a = Tensor.Ones(3).RequiresGrad_();
        var b = Tensor.Ones(3).RequiresGrad_();
        (a + b).Backward(Tensor.FromArray(new float[] { 1, 2, 3 }));
        using (Autograd.NoGrad.Enter()) a.Grad!.MulInPlace(10f);
        Assert.Equal(new float[] { 1, 2, 3 }, b.Grad!.ToArray());
    }

    [Fact]
    public void CallerGradientIsNeverTakenOver()
    {
        var a = Tensor.Ones(3).RequiresGrad_();
        var upstream = Tensor.FromArray(new float[] { 1, 2, 3 });
        a.Reshape(3).Backward(upstream);
        a.Grad!.AddInPlace(Tensor.Ones(3));
        Assert.Equal(new float[] { 1, 2, 3 }, upstream.ToArray());
    }

    [Fact]
    public void ReplacingGradReleasesTheOldBuffer()
    {
        var a = Tensor.Ones(3).RequiresGrad_();
        (a * 2f).Sum().Backward();
        var old = a.Grad!;
        a.Grad = null;
        Assert.True(old.IsDisposed);
    }
}

public class DropoutGradientTests
{
    [Fact]
    public void DropoutGradientMatchesFiniteDifferencesWithAFixedMask()
    {
        // A fresh generator with the same seed on every call gives the same mask, so finite differences apply.
        var x = Tensor.Randn([4, 5], new Generator(11));
        Testing.GradCheck.Check(inputs => inputs[0].Dropout(0.3f, training: true, generator: new Generator(5)), [x]);
    }

    [Fact]
    public void DropoutWithTheSameSeedDropsTheSameElements()
    {
        var x = Tensor.Ones(100);
        Assert.Equal(x.Dropout(0.5f, true, new Generator(3)).ToArray(), x.Dropout(0.5f, true, new Generator(3)).ToArray());
        Assert.NotEqual(x.Dropout(0.5f, true, new Generator(3)).ToArray(), x.Dropout(0.5f, true, new Generator(4)).ToArray());
    }

    [Fact]
    public void ScatterAddFromASourceLargerThanTheIndexGivesTheUnreadSourceAZeroGradient()
    {
        var g = new Generator(11);
        var index = Tensor.FromArray(new long[] { 2, 0, 1, 2 }, 2, 2);
        var source = Tensor.Randn([3, 4], g).RequiresGrad_();
        Testing.GradCheck.Check(x => Tensor.Randn([3, 3], new Generator(12)).To(x[0].DType).ScatterAdd(0, index, x[0]).Pow(2f).Sum(), [source]);
        Tensor.Zeros(3, 3).ScatterAdd(0, index, source).Sum().Backward();
        Assert.Equal([1f, 1f, 0f, 0f, 1f, 1f, 0f, 0f, 0f, 0f, 0f, 0f], source.Grad!.ToArray());
    }

    [Fact]
    public void BackwardReleasesIntermediateGradientsButNothingAnyoneHolds()
    {
        var x = Tensor.FromArray(new float[] { 0.5f, -1f, 2f }).RequiresGrad_();
        // A chain of four ops: the gradients of the three intermediate results are dead once their rules ran.
        var a = x.Mul(2f);
        var b = a.Exp();
        var c = b.Mul(3f);
        var upstream = Tensor.FromArray(new float[] { 1f, 2f, 3f });
        c.Backward(upstream);
        Assert.Equal(2, BackwardEngine.ReleasedEarly); // b's and a's (c's is the caller's)
        // The forward results, the caller's gradient and the leaf's gradient are untouched and correct.
        Assert.Equal(new[] { 1f, 2f, 3f }, upstream.ToArray());
        Assert.Equal(MathF.Exp(1f), b.ToArray()[0], 5);
        var expected = new[] { 0.5f, -1f, 2f }.Select((v, i) => (i + 1) * 3f * MathF.Exp(2f * v) * 2f).ToArray();
        Testing.TensorAssert.Close(Tensor.FromArray(expected), x.Grad!, rtol: 1e-5f);

        // A gradient handed to two inputs (x + x) or passed on unchanged (a + a) is shared and stays alive where needed.
        var y = Tensor.FromArray(new float[] { 1f, 2f }).RequiresGrad_();
        var twice = y.Add(y);
        twice.Add(twice).Mul(y).Sum().Backward();
        Assert.Equal(new[] { 8f, 16f }, y.Grad!.ToArray());
    }
}
