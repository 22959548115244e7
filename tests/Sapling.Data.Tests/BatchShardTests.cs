namespace Sapling.Data.Tests;

public class BatchShardTests
{
    private static TensorDataset Numbers(int n) => new(Tensor.Arange(0, n).Reshape(n, 1), Tensor.FromArray(Enumerable.Range(0, n).Select(i => (long)(i % 3)).ToArray()));

    [Theory]
    [InlineData(64, 2)]
    [InlineData(7, 3)]
    [InlineData(2, 4)]
    [InlineData(0, 2)]
    public void ShardsTileTheBatchInRankOrderAndDifferByAtMostOne(int batch, int world)
    {
        int next = 0;
        var counts = new List<int>();
        for (int rank = 0; rank < world; rank++)
        {
            var (offset, count) = new BatchShard(rank, world).Range(batch);
            Assert.Equal(next, offset);
            next += count;
            counts.Add(count);
        }
        Assert.Equal(batch, next);
        Assert.True(counts.Max() - counts.Min() <= 1);
    }

    [Fact]
    public void TheUnionOfTheRanksBatchesIsTheSingleProcessBatch()
    {
        var whole = new DataLoader(Numbers(50), 8, shuffle: true, seed: 5).Epoch(2).Select(b => b.Inputs.ToArray()).ToList();
        var ranks = Enumerable.Range(0, 3)
            .Select(r => new DataLoader(Numbers(50), 8, shuffle: true, seed: 5, shard: new BatchShard(r, 3)).Epoch(2).Select(b => b.Inputs.ToArray()).ToList())
            .ToList();
        Assert.All(ranks, r => Assert.Equal(whole.Count, r.Count));
        for (int b = 0; b < whole.Count; b++)
            Assert.Equal(whole[b], ranks.SelectMany(r => r[b]).ToArray());
        // 50 = 6 × 8 + 2: the last batch gives ranks 0 and 1 one example each and rank 2 none, yet all three step.
        Assert.Equal([1, 1, 0], ranks.Select(r => r[^1].Length));
    }

    [Fact]
    public void GlobalBatchSizeCountsAllShards()
    {
        var loader = new DataLoader(Numbers(50), 8, shard: new BatchShard(1, 2));
        Assert.Equal(8, loader.GlobalBatchSize(0));
        Assert.Equal(2, loader.GlobalBatchSize(6));
    }

    [Fact]
    public void BadRanksAreRefused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new BatchShard(2, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => new BatchShard(0, 0));
    }
}
