namespace Sapling.Distributed.Tests;

public sealed class SingleProcessGroupTests
{
    [Fact]
    public void CollectivesAreTheIdentity()
    {
        var group = SingleProcessGroup.Instance;
        Assert.Equal((0, 1), (group.Rank, group.Size));
        float[] floats = [1.5f, -2f];
        group.AllReduceSum(floats);
        Assert.Equal([1.5f, -2f], floats);
        double[] doubles = [3.25];
        group.AllReduceSum(doubles);
        Assert.Equal([3.25], doubles);
        int[] ints = [7];
        group.Broadcast<int>(ints);
        Assert.Equal([7], ints);
        var all = new long[2];
        group.AllGather([4L, 5L], all);
        Assert.Equal([4L, 5L], all);
        group.Barrier();
    }

    [Fact]
    public void AProcessNotStartedByMpirunTrainsAlone()
    {
        var group = ProcessGroups.FromEnvironment(new Dictionary<string, string?> { ["PATH"] = "/usr/bin" });
        Assert.Same(SingleProcessGroup.Instance, group);
        Assert.True(ProcessGroups.LaunchedByMpirun(new Dictionary<string, string?> { [ProcessGroups.WorldSizeVariable] = "2" }));
        Assert.False(ProcessGroups.LaunchedByMpirun(new Dictionary<string, string?> { [ProcessGroups.WorldSizeVariable] = "x" }));
    }

    [Theory]
    [InlineData(2, 1, 2)]
    [InlineData(2, 2, 1)]
    [InlineData(2, 4, 1)]
    [InlineData(16, 4, 4)]
    public void ThreadsPerRankShareTheCores(int cores, int localRanks, int expected) => Assert.Equal(expected, ProcessGroups.ThreadsPerRank(cores, localRanks));
}
