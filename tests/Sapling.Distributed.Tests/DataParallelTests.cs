namespace Sapling.Distributed.Tests;

public sealed class DataParallelTests
{
    private static List<Tensor> Parameters(params int[] sizes)
    {
        var g = new Generator(3);
        return sizes.Select(n => Tensor.Randn([n], g).RequiresGrad_().KeepAlive()).ToList();
    }

    // A loss whose gradient with respect to parameter i is (i + 1) everywhere.
    private static void Backward(List<Tensor> parameters)
    {
        using var scope = new TensorScope();
        Tensor? loss = null;
        for (int i = 0; i < parameters.Count; i++)
        {
            var term = parameters[i].Sum().Mul(i + 1);
            loss = loss == null ? term : loss.Add(term);
        }
        loss!.Backward();
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void GradientsBecomeTheSumOverRanksInEveryBucket(bool overlap)
    {
        var parameters = Parameters(300, 5, 1000, 7);
        var group = new FakeGroup(ranks: 2);
        // 1 KiB buckets: 256 floats, so the layout is [7 | 1000 | 5 | 300].
        using var dp = new DataParallel(group, parameters, new DataParallelOptions { BucketMegabytes = 1.0 / 1024, Overlap = overlap });
        Assert.Equal(4, dp.BucketCount);
        Backward(parameters);
        dp.FinishGradientSync();
        for (int i = 0; i < parameters.Count; i++)
            Assert.All(parameters[i].Grad!.ToArray(), v => Assert.Equal(2f * (i + 1), v));
        Assert.Equal([7, 1000, 5, 300], group.AllReduces.Select(a => a.Length));
        if (overlap) Assert.All(group.AllReduces, a => Assert.NotEqual(Environment.CurrentManagedThreadId, a.ThreadId));
        else Assert.All(group.AllReduces, a => Assert.Equal(Environment.CurrentManagedThreadId, a.ThreadId));
    }

    [Fact]
    public void BucketsLeaveDuringBackwardWhenOverlapping()
    {
        var parameters = Parameters(100, 100);
        var group = new FakeGroup(ranks: 2);
        using var dp = new DataParallel(group, parameters, new DataParallelOptions { BucketMegabytes = 400.0 / (1024 * 1024) });
        Backward(parameters);
        // Both hooks fired during backward, so both buckets were handed to the communication thread before Finish.
        SpinWait.SpinUntil(() => { lock (group.AllReduces) return group.AllReduces.Count == 2; }, TimeSpan.FromSeconds(10));
        lock (group.AllReduces) Assert.Equal(2, group.AllReduces.Count);
        dp.FinishGradientSync();
        Assert.All(parameters[1].Grad!.ToArray(), v => Assert.Equal(4f, v));
    }

    [Fact]
    public void AccumulatedMicroBatchesAreReducedOnceAtTheEnd()
    {
        var parameters = Parameters(10, 20);
        var group = new FakeGroup(ranks: 3);
        using var dp = new DataParallel(group, parameters, new DataParallelOptions { Overlap = false });
        dp.SyncGradients = false;
        Backward(parameters);
        Assert.Empty(group.AllReduces);
        dp.SyncGradients = true;
        Backward(parameters);
        dp.FinishGradientSync();
        // Two local backward passes summed (2 × (i + 1)), then summed over three ranks.
        Assert.All(parameters[0].Grad!.ToArray(), v => Assert.Equal(6f, v));
        Assert.All(parameters[1].Grad!.ToArray(), v => Assert.Equal(12f, v));
        Assert.Single(group.AllReduces);
    }

    [Fact]
    public async Task ARankWithoutGradientsStillJoinsAndReceivesTheSum()
    {
        var parameters = Parameters(4);
        var group = new FakeGroup(ranks: 2);
        using var dp = new DataParallel(group, parameters, new DataParallelOptions { Overlap = true });
        // No backward at all (an empty shard): zeros go out, and a zero sum leaves the gradient absent.
        dp.FinishGradientSync();
        Assert.Null(parameters[0].Grad);
        Assert.Single(group.AllReduces);
        // The next step starts clean: the parameter's gradient is sent again (a stale "already sent" mark would hang here).
        Backward(parameters);
        await Task.Run(dp.FinishGradientSync).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.All(parameters[0].Grad!.ToArray(), v => Assert.Equal(2f, v));
    }

    [Fact]
    public void ASingleProcessGroupLeavesGradientsAsTheyWere()
    {
        var parameters = Parameters(50, 60);
        using var dp = new DataParallel(SingleProcessGroup.Instance, parameters);
        Backward(parameters);
        dp.FinishGradientSync();
        Assert.All(parameters[0].Grad!.ToArray(), v => Assert.Equal(1f, v));
        Assert.All(parameters[1].Grad!.ToArray(), v => Assert.Equal(2f, v));
    }

    [Fact]
    public void BroadcastRefusesRanksSetUpDifferently()
    {
        var group = new MismatchedGroup();
        var error = Assert.Throws<InvalidOperationException>(() => DataParallel.BroadcastFromRankZero(group, Parameters(3)));
        Assert.Contains("rank 1 holds", error.Message);
    }

    private sealed class MismatchedGroup : IProcessGroup
    {
        public int Rank => 0;
        public int Size => 2;
        public int LocalSize => 2;
        public bool SupportsCallsFromOtherThreads => true;
        public void Barrier() { }
        public void Broadcast<T>(Span<T> data, int root = 0) where T : unmanaged { }
        public void AllReduceSum(Span<float> data) { }
        public void AllReduceSum(Span<double> data) { }
        public void AllGather(ReadOnlySpan<long> mine, Span<long> all)
        {
            mine.CopyTo(all);
            all[2] = mine[0] + 1;
            all[3] = mine[1];
        }
        public void Abort(int exitCode) { }
        public void Dispose() { }
    }
}
