using Sapling.Data;
using Sapling.Training.LanguageModel;

namespace Sapling.Training.Tests.LanguageModel;

public sealed class TokenDataShardTests
{
    [Fact]
    public void TheRanksRowsTogetherAreTheSingleProcessBatch()
    {
        var documents = Enumerable.Range(0, 40).Select(d => Enumerable.Range(0, 30).Select(t => 1 + (d * 31 + t) % 97).ToArray()).ToList();
        var data = new TokenData(documents, endOfText: 0, validationFraction: 0.1, seed: 1);
        var (whole, wholeTargets) = data.TrainBatch(7, 16, seed: 3, step: 5);
        var parts = Enumerable.Range(0, 3).Select(r => data.TrainBatch(7, 16, seed: 3, step: 5, new BatchShard(r, 3))).ToList();
        Assert.Equal([3, 2, 2], parts.Select(p => p.Inputs.Shape[0]));
        Assert.Equal(whole.ToArray<long>(), parts.SelectMany(p => p.Inputs.ToArray<long>()).ToArray());
        Assert.Equal(wholeTargets.ToArray<long>(), parts.SelectMany(p => p.Targets.ToArray<long>()).ToArray());
    }
}
