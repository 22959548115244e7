using Sapling.Training.ActiveLearning;

namespace Sapling.Training.Tests.ActiveLearning;

public class UncertaintySamplingTests
{
    // Five items over three classes, by hand:
    //   0: sure of class 0             entropy low,  margin 0.90
    //   1: torn between 0 and 1        entropy mid,  margin 0.00  ← smallest margin
    //   2: spread over all three       entropy max (ln 3), margin 0.00 too, but later in the pool
    //   3: leaning to 2                entropy mid,  margin 0.40
    //   4: almost sure of 1            entropy low,  margin 0.70
    private static readonly float[] Table =
    [
        0.95f, 0.05f, 0.00f,
        0.45f, 0.45f, 0.10f,
        1 / 3f, 1 / 3f, 1 / 3f,
        0.10f, 0.25f, 0.65f,
        0.10f, 0.80f, 0.10f,
    ];

    [Fact]
    public void EntropyPutsTheMostSpreadBeliefFirst()
    {
        var scores = UncertaintySampling.Scores(Table, 3, AcquisitionStrategy.Entropy);
        Assert.Equal(Math.Log(3), scores[2], 5);
        Assert.Equal(-(0.95 * Math.Log(0.95) + 0.05 * Math.Log(0.05)), scores[0], 5);
        Assert.Equal([2, 1, 3, 4, 0], UncertaintySampling.Rank(scores, AcquisitionStrategy.Entropy));
        Assert.Equal([2, 1], UncertaintySampling.Select(Table, 3, 2, AcquisitionStrategy.Entropy));
    }

    [Fact]
    public void MarginPutsTheSmallestTopTwoGapFirstAndTiesKeepPoolOrder()
    {
        var scores = UncertaintySampling.Scores(Table, 3, AcquisitionStrategy.Margin);
        Assert.Equal([0.90, 0.00, 0.00, 0.40, 0.70], scores.Select(s => Math.Round(s, 5)));
        Assert.Equal([1, 2, 3, 4, 0], UncertaintySampling.Rank(scores, AcquisitionStrategy.Margin));
        Assert.Equal([1, 2, 3], UncertaintySampling.Select(Table, 3, 3, AcquisitionStrategy.Margin));
    }

    [Fact]
    public void RandomIsSeededAndIgnoresTheProbabilities()
    {
        var uniform = Enumerable.Repeat(0.1f, 10 * 40).ToArray();
        var a = UncertaintySampling.Select(uniform, 10, 15, AcquisitionStrategy.Random, seed: 7);
        Assert.Equal(a, UncertaintySampling.Select(uniform, 10, 15, AcquisitionStrategy.Random, seed: 7));
        Assert.NotEqual(a, UncertaintySampling.Select(uniform, 10, 15, AcquisitionStrategy.Random, seed: 8));
        Assert.Equal(15, a.Distinct().Count());
        // Not simply the pool order.
        Assert.NotEqual(Enumerable.Range(0, 15), a);
    }

    [Fact]
    public void AskingForMoreThanThePoolGivesThePool() =>
        Assert.Equal(5, UncertaintySampling.Select(Table, 3, 100, AcquisitionStrategy.Entropy).Length);

    [Fact]
    public void BadInputIsRefused()
    {
        Assert.Throws<ArgumentException>(() => UncertaintySampling.Select(Table, 3, 0, AcquisitionStrategy.Entropy));
        Assert.Throws<ArgumentException>(() => UncertaintySampling.Scores(Table, 4, AcquisitionStrategy.Entropy));
        Assert.Contains("confidence", Assert.Throws<ArgumentException>(() => AcquisitionStrategies.Parse("confidence")).Message);
    }
}
