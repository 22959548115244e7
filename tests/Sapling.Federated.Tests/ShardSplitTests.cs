namespace Sapling.Federated.Tests;

public sealed class ShardSplitTests
{
    private static readonly long[] Labels = Enumerable.Range(0, 1000).Select(i => (long)(i % 10)).ToArray();

    private static void AssertPartition(long[][] shards, int count)
    {
        var all = shards.SelectMany(s => s).ToArray();
        Assert.Equal(count, all.Length);
        Assert.Equal(Enumerable.Range(0, count).Select(i => (long)i), all.Order());
    }

    [Fact]
    public void IidShardsAreEvenAndKeepTheLabelMix()
    {
        var shards = ShardSplit.Iid(Labels, 10, seed: 1);
        AssertPartition(shards, Labels.Length);
        Assert.All(shards, s =>
        {
            Assert.Equal(100, s.Length);
            Assert.Equal(10, s.Select(i => Labels[i]).Distinct().Count());
        });
        Assert.Equal(shards, ShardSplit.Iid(Labels, 10, seed: 1));
    }

    [Fact]
    public void DirichletShardsSkewLabelsMoreAsAlphaShrinks()
    {
        var skewed = ShardSplit.Dirichlet(Labels, 10, alpha: 0.1, seed: 2);
        var mild = ShardSplit.Dirichlet(Labels, 10, alpha: 100, seed: 2);
        AssertPartition(skewed, Labels.Length);
        AssertPartition(mild, Labels.Length);
        Assert.Equal(skewed, ShardSplit.Dirichlet(Labels, 10, alpha: 0.1, seed: 2));
        // Classes that make up at least 5% of a client's shard: few under strong skew, nearly all when α is large.
        double MainClasses(long[][] shards) => shards.Where(s => s.Length > 0).Average(s => s.GroupBy(i => Labels[i]).Count(grp => grp.Count() >= 0.05 * s.Length));
        Assert.True(MainClasses(skewed) < 4, $"α = 0.1 gave {MainClasses(skewed)} main classes per client");
        Assert.True(MainClasses(mild) > 8, $"α = 100 gave {MainClasses(mild)} main classes per client");
    }

    [Fact]
    public void GammaDrawsHaveMeanAlpha()
    {
        var g = new Generator(9);
        foreach (double alpha in new[] { 0.3, 1.0, 4.0 })
        {
            double mean = Enumerable.Range(0, 20000).Average(_ => ShardSplit.SampleGamma(alpha, g));
            Assert.InRange(mean, alpha * 0.96, alpha * 1.04);
        }
        var shares = ShardSplit.SampleDirichlet(5, 0.5, g);
        Assert.Equal(1.0, shares.Sum(), 9);
        Assert.All(shares, s => Assert.InRange(s, 0, 1));
    }
}
