namespace Sapling.Core.Tests;

/// <summary>Bad input fails with a message naming the op and the offending shapes, indices or dtypes.</summary>
public class ErrorMessageTests
{
    [Fact]
    public void BroadcastMismatchNamesOpAndBothShapes()
    {
        var ex = Assert.Throws<ArgumentException>(() => Tensor.Zeros(2, 3).Add(Tensor.Zeros(4)));
        Assert.Contains("add", ex.Message);
        Assert.Contains("[2, 3]", ex.Message);
        Assert.Contains("[4]", ex.Message);
    }

    [Fact]
    public void MatMulMismatchNamesBothShapes()
    {
        var ex = Assert.Throws<ArgumentException>(() => Tensor.Zeros(2, 3).MatMul(Tensor.Zeros(4, 5)));
        Assert.Contains("matmul", ex.Message);
        Assert.Contains("[2, 3]", ex.Message);
        Assert.Contains("[4, 5]", ex.Message);
    }

    [Fact]
    public void IndexOutOfRangeNamesIndexAndSize()
    {
        var ex = Assert.Throws<IndexOutOfRangeException>(() => Tensor.Zeros(5, 2).IndexSelect(0, Tensor.FromArray(new long[] { 1, 7 })));
        Assert.Contains("index_select", ex.Message);
        Assert.Contains("7", ex.Message);
        Assert.Contains("size 5", ex.Message);
    }

    [Fact]
    public void EmbeddingIdOutOfRangeIsClear()
    {
        var ex = Assert.Throws<IndexOutOfRangeException>(() => Tensor.Embedding(Tensor.FromArray(new long[] { 3, 10 }), Tensor.Zeros(10, 4)));
        Assert.Contains("10", ex.Message);
    }

    [Fact]
    public void CrossEntropyTargetOutOfRange()
    {
        var ex = Assert.Throws<IndexOutOfRangeException>(() => Tensor.CrossEntropy(Tensor.Zeros(2, 3), Tensor.FromArray(new long[] { 0, 3 })));
        Assert.Contains("3 classes", ex.Message);
    }

    [Fact]
    public void DtypeMisuseNamesTheDtypes()
    {
        var ex = Assert.Throws<ArgumentException>(() => Tensor.ArangeLong(3).Add(Tensor.Zeros(3)));
        Assert.Contains("int64", ex.Message);
        Assert.Contains("float32", ex.Message);
        var ex2 = Assert.Throws<ArgumentException>(() => Tensor.Zeros(3).IndexSelect(0, Tensor.Zeros(2)));
        Assert.Contains("int64", ex2.Message);
        var ex3 = Assert.Throws<ArgumentException>(() => Tensor.Zeros(3).MaskedFill(Tensor.Zeros(3), 1f));
        Assert.Contains("bool", ex3.Message);
    }

    [Fact]
    public void ReshapeToWrongSizeNamesShapes()
    {
        var ex = Assert.Throws<ArgumentException>(() => Tensor.Zeros(2, 3).Reshape(4, 2));
        Assert.Contains("[4, 2]", ex.Message);
        Assert.Contains("6 elements", ex.Message);
    }

    [Fact]
    public void ViewOfNonContiguousLayoutExplainsReshape()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => Tensor.Zeros(2, 3).T().View(6));
        Assert.Contains("Reshape", ex.Message);
    }

    [Fact]
    public void DimensionOutOfRange()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => Tensor.Zeros(2, 3).Sum(2));
        Assert.Contains("sum", ex.Message);
        Assert.Contains("rank 2", ex.Message);
    }

    [Fact]
    public void Conv2dChannelMismatch()
    {
        var ex = Assert.Throws<ArgumentException>(() => Tensor.Conv2d(Tensor.Zeros(1, 3, 5, 5), Tensor.Zeros(2, 4, 3, 3)));
        Assert.Contains("[1, 3, 5, 5]", ex.Message);
        Assert.Contains("[2, 4, 3, 3]", ex.Message);
    }

    [Fact]
    public void CatShapeMismatch()
    {
        var ex = Assert.Throws<ArgumentException>(() => Tensor.Cat([Tensor.Zeros(2, 3), Tensor.Zeros(3, 3)], 1));
        Assert.Contains("[2, 3]", ex.Message);
        Assert.Contains("[3, 3]", ex.Message);
    }

    [Fact]
    public void InPlaceOnLeafRequiringGradIsRefused()
    {
        var w = Tensor.Zeros(3).RequiresGrad_();
        var ex = Assert.Throws<InvalidOperationException>(() => w.AddInPlace(Tensor.Ones(3)));
        Assert.Contains("NoGrad", ex.Message);
        using (Autograd.NoGrad.Enter()) w.AddInPlace(Tensor.Ones(3));
        Assert.Equal(1f, w[0]);
    }

    [Fact]
    public void BackwardOnNonScalarNeedsGradient()
    {
        var x = Tensor.Ones(3).RequiresGrad_();
        var ex = Assert.Throws<InvalidOperationException>(() => (x * 2f).Backward());
        Assert.Contains("[3]", ex.Message);
    }

    [Fact]
    public void UseAfterScopeDisposalIsReported()
    {
        Tensor leaked;
        using (new TensorScope()) leaked = Tensor.Ones(4) * 2f;
        var ex = Assert.Throws<ObjectDisposedException>(() => leaked.Sum());
        Assert.Contains("KeepAlive", ex.Message);
    }

    [Fact]
    public void ItemOnManyElements()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => Tensor.Zeros(2).Item());
        Assert.Contains("[2]", ex.Message);
    }
}
