namespace Sapling.Core.Tests;

public class CreationTests
{
    [Fact]
    public void SameSeedSameNumbers()
    {
        var a = Tensor.Randn([100], new Generator(42)).ToArray();
        var b = Tensor.Randn([100], new Generator(42)).ToArray();
        var c = Tensor.Randn([100], new Generator(43)).ToArray();
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Fact]
    public void GeneratorStreamIsFixedAcrossMachines()
    {
        // Pinned values: integer-only arithmetic must give these on every platform.
        var g = new Generator(0);
        Assert.Equal(11091344671253066420UL, g.NextUInt64());
        var u = Tensor.Rand([3], new Generator(7)).ToArray();
        Assert.All(u, v => Assert.InRange(v, 0f, 1f));
    }

    [Fact]
    public void RandnHasUnitMoments()
    {
        var x = Tensor.Randn([200_000], new Generator(5));
        Assert.InRange(x.Mean().Item(), -0.01f, 0.01f);
        Assert.InRange(x.Std([0]).Item(), 0.99f, 1.01f);
    }

    [Fact]
    public void RandIntStaysInRangeAndCoversIt()
    {
        var x = Tensor.RandInt(-2, 3, [10_000], new Generator(1)).ToArray<long>();
        Assert.All(x, v => Assert.InRange(v, -2, 2));
        Assert.Equal(5, x.Distinct().Count());
    }

    [Fact]
    public void GeneratorStateRoundTrips()
    {
        var g = new Generator(9);
        g.NextNormal();
        var state = g.GetState();
        var expected = Enumerable.Range(0, 5).Select(_ => g.NextNormal()).ToArray();
        var h = new Generator(1);
        h.SetState(state);
        Assert.Equal(expected, Enumerable.Range(0, 5).Select(_ => h.NextNormal()).ToArray());
    }

    [Fact]
    public void FactoryShapesAndValues()
    {
        Assert.Equal(new float[] { 1, 0, 0, 0, 1, 0 }, Tensor.Eye(2, 3).ToArray());
        Assert.Equal(new float[] { 0.5f, 1.0f, 1.5f }, Tensor.Arange(0.5f, 2f, 0.5f).ToArray());
        Assert.Equal(new long[] { 0, 1, 2 }, Tensor.ArangeLong(3).ToArray<long>());
        Assert.Equal(new float[] { 7, 7 }, Tensor.Full([2], 7f).ToArray());
        Assert.Equal(0, Tensor.Scalar(3f).Rank);
        var perm = Tensor.RandPerm(10, new Generator(3)).ToArray<long>();
        Assert.Equal(Enumerable.Range(0, 10).Select(i => (long)i), perm.OrderBy(v => v));
    }

    [Fact]
    public void DtypeConversionsFollowPyTorch()
    {
        var x = Tensor.FromArray(new float[] { 1.9f, -1.9f, 127.5f, -3.2f });
        Assert.Equal(new long[] { 1, -1, 127, -3 }, x.To(DType.Int64).ToArray<long>());
        Assert.Equal(new sbyte[] { 1, -1, 127, -3 }, x.To(DType.Int8).ToArray<sbyte>());
        var bf = Tensor.FromArray(new float[] { 1f, 1.00390625f, 1.01171875f, float.NaN }).To(DType.BFloat16).To(DType.Float32).ToArray();
        // 1 + 2^-8 is a tie and rounds to even (1.0); 1 + 3·2^-8 rounds up to 1 + 2^-6.
        Assert.Equal(1f, bf[0]);
        Assert.Equal(1f, bf[1]);
        Assert.Equal(1.015625f, bf[2]);
        Assert.True(float.IsNaN(bf[3]));
    }

    [Fact]
    public void ToStringLooksLikePyTorch()
    {
        Assert.Equal("tensor([[1.0000, 2.0000],\n        [3.0000, 4.0000]])", Tensor.FromArray(new float[] { 1, 2, 3, 4 }, 2, 2).ToString());
        Assert.Equal("tensor([0, 1, 2], dtype=int64)", Tensor.ArangeLong(3).ToString());
        Assert.Equal("tensor(2.5000)", Tensor.Scalar(2.5f).ToString());
        Assert.Contains("requires_grad=True", Tensor.Zeros(2).RequiresGrad_().ToString());
        var big = Tensor.Arange(0, 2000).ToString();
        Assert.Contains("...", big);
        Assert.Contains("1999.0000", big);
    }
}
