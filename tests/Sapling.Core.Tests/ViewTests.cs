namespace Sapling.Core.Tests;

public class ViewTests
{
    [Fact]
    public void ViewsShareStorageWithoutCopy()
    {
        var x = Tensor.Arange(0, 12).Reshape(3, 4);
        var t = x.T();
        Assert.False(t.IsContiguous);
        Assert.Equal(new[] { 4, 3 }, t.Shape);
        Assert.Equal(new[] { 1, 4 }, t.Strides);
        using (Autograd.NoGrad.Enter()) x.AsSpan()[1] = 100f;
        Assert.Equal(100f, t[1, 0]);
    }

    [Fact]
    public void NarrowAndSelectAreOffsetViews()
    {
        var x = Tensor.Arange(0, 12).Reshape(3, 4);
        var n = x.Narrow(1, 1, 2);
        Assert.Equal(new float[] { 1, 2, 5, 6, 9, 10 }, n.ToArray());
        Assert.Equal(new float[] { 4, 5, 6, 7 }, x.Select(0, 1).ToArray());
        Assert.Equal(new float[] { 3, 7, 11 }, x.Select(1, -1).ToArray());
    }

    [Fact]
    public void ExpandUsesZeroStride()
    {
        var x = Tensor.FromArray(new float[] { 1, 2, 3 }, 3, 1);
        var e = x.Expand(3, 4);
        Assert.Equal(0, e.Strides[1]);
        Assert.Equal(new float[] { 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3 }, e.ToArray());
    }

    [Fact]
    public void ReshapeOfTransposeCopiesButViewOfSplitDimDoesNot()
    {
        var x = Tensor.Arange(0, 24).Reshape(2, 3, 4).Permute(1, 0, 2);
        var merged = x.Reshape(6, 4);
        Assert.Equal(new float[] { 0, 1, 2, 3, 12, 13, 14, 15, 4, 5, 6, 7 }, merged.Narrow(0, 0, 3).ToArray());
        var split = x.View(3, 2, 2, 2);
        Assert.Equal(x.Strides[0], split.Strides[0]);
    }

    [Fact]
    public void SqueezeUnsqueezeFlatten()
    {
        var x = Tensor.Zeros(2, 1, 3, 1);
        Assert.Equal(new[] { 2, 3 }, x.Squeeze().Shape);
        Assert.Equal(new[] { 2, 3, 1 }, x.Squeeze(1).Shape);
        Assert.Equal(new[] { 2, 1, 3, 1, 1 }, x.Unsqueeze(-1).Shape);
        Assert.Equal(new[] { 2, 3 }, x.Flatten(1).Shape);
        Assert.Equal(new[] { 6 }, x.Flatten().Shape);
    }

    [Fact]
    public void CopyFromWritesThroughAView()
    {
        var x = Tensor.Zeros(3, 3);
        x.Narrow(0, 1, 1).CopyFrom(Tensor.FromArray(new float[] { 1, 2, 3 }, 1, 3));
        Assert.Equal(new float[] { 0, 0, 0, 1, 2, 3, 0, 0, 0 }, x.ToArray());
    }

    [Fact]
    public void SplitAndChunkSizesFollowPyTorch()
    {
        var x = Tensor.Zeros(10, 2);
        Assert.Equal(new[] { 4, 4, 2 }, x.Chunk(3).Select(p => p.Shape[0]));
        Assert.Equal(new[] { 3, 3, 3, 1 }, x.Split(3).Select(p => p.Shape[0]));
        Assert.Equal(new[] { 2, 8 }, x.Split([2, 8]).Select(p => p.Shape[0]));
    }
}
