namespace Sapling.Distributed.Tests;

public sealed class GradientBucketsTests
{
    [Fact]
    public void BucketsFillInReverseOrderUpToTheCap()
    {
        // Sizes in floats; a cap of 20 floats (80 bytes).
        var buckets = new GradientBuckets([10, 10, 10, 30, 5], capBytes: 80);
        // Backward finishes the last parameters first: 5 alone fits, 30 exceeds the cap and is alone, then 10+10, then 10.
        Assert.Equal([5, 30, 20, 10], buckets.BucketLengths);
        Assert.Equal(new BucketSlot(4, 0, 0, 5), buckets.Slots[4]);
        Assert.Equal(new BucketSlot(3, 1, 0, 30), buckets.Slots[3]);
        Assert.Equal(new BucketSlot(2, 2, 0, 10), buckets.Slots[2]);
        Assert.Equal(new BucketSlot(1, 2, 10, 10), buckets.Slots[1]);
        Assert.Equal(new BucketSlot(0, 3, 0, 10), buckets.Slots[0]);
        Assert.Equal([1, 1, 2, 1], buckets.ParametersPerBucket);
    }

    [Fact]
    public void SlotsCoverEveryBucketExactlyOnceWithoutOverlap()
    {
        var sizes = Enumerable.Range(1, 40).Select(i => i * 37 % 101 + 1).ToArray();
        var buckets = new GradientBuckets(sizes, capBytes: 4 * 150);
        for (int b = 0; b < buckets.Count; b++)
        {
            var slots = buckets.Slots.Where(s => s.Bucket == b).OrderBy(s => s.Offset).ToList();
            int next = 0;
            foreach (var s in slots)
            {
                Assert.Equal(next, s.Offset);
                next += s.Length;
            }
            Assert.Equal(buckets.BucketLengths[b], next);
            Assert.True(next <= 150 || slots.Count == 1, $"bucket {b} holds {next} floats in {slots.Count} parameters");
        }
        Assert.Equal(sizes.Sum(), buckets.BucketLengths.Sum());
    }

    [Fact]
    public void TheDefaultCapKeepsASmallModelInOneBucket()
    {
        var buckets = new GradientBuckets([1000, 10, 50_000], capBytes: 25 * 1024 * 1024);
        Assert.Equal(1, buckets.Count);
    }

    [Fact]
    public void ANonPositiveCapIsRefused() => Assert.Throws<ArgumentOutOfRangeException>(() => new GradientBuckets([1], 0));
}
