using Sapling.Training.Review;

namespace Sapling.Training.Tests.Review;

public sealed class StratifiedSampleTests
{
    [Fact]
    public void SharesFollowStratumSizesWithLargestRemainders()
    {
        Assert.Equal([5, 3, 2], StratifiedSample.Allocate([50, 30, 20], 10));
        Assert.Equal([4, 4, 2], StratifiedSample.Allocate([35, 35, 20], 10)); // 3.5, 3.5, 2: the remainders go first to the first
        // Every stratum is seen once the sample can afford it, even a tiny one.
        Assert.Equal([8, 1, 1], StratifiedSample.Allocate([97, 2, 1], 10));
        Assert.Equal([1, 1, 0], StratifiedSample.Allocate([5, 4, 1], 2));
        // No stratum gives more items than it has.
        Assert.Equal([1, 9], StratifiedSample.Allocate([1, 50], 10));
    }

    [Fact]
    public void TheSameSeedPicksTheSameItems()
    {
        var strata = Enumerable.Range(0, 300).Select(i => "s" + i % 3).ToArray();
        var a = StratifiedSample.Pick(strata, 30, seed: 7);
        Assert.Equal(a, StratifiedSample.Pick(strata, 30, seed: 7));
        Assert.NotEqual(a, StratifiedSample.Pick(strata, 30, seed: 8));
        Assert.Equal(30, a.Distinct().Count());
        Assert.All(strata.Select((s, i) => (s, i)).GroupBy(p => p.s), g => Assert.Equal(10, a.Count(i => strata[i] == g.Key)));
        Assert.Equal(Enumerable.Range(0, 300), StratifiedSample.Pick(strata, 1000, seed: 1));
        Assert.Throws<ArgumentException>(() => StratifiedSample.Pick([], 5, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => StratifiedSample.Pick(strata, 0, 0));
    }

    [Fact]
    public void LengthStrataAreQuartiles()
    {
        var lengths = Enumerable.Range(1, 100).ToArray();
        var strata = StratifiedSample.ByLength(lengths);
        Assert.Equal(4, strata.Distinct().Count());
        Assert.Equal("length Q1 1–25", strata[0]);
        Assert.Equal("length Q4 76–100", strata[^1]);
        Assert.All(strata.GroupBy(s => s), g => Assert.Equal(25, g.Count()));
    }
}
