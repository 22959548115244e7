using Sapling.Training.Sweeps;

namespace Sapling.Training.Tests.Sweeps;

public class SuccessiveHalvingTests
{
    private static readonly SweepMetric Accuracy = SweepMetric.Parse("val_accuracy", null);
    private static readonly SweepMetric Loss = SweepMetric.Parse("val_loss", null);

    [Fact]
    public void RungsGrowByTheReductionFactorBelowMaxEpochs()
    {
        Assert.Equal([1, 3, 9], new SuccessiveHalving(1, 3, 27, Accuracy).Rungs);
        Assert.Equal([4, 12, 36], new SuccessiveHalving(4, 3, 40, Accuracy).Rungs);
        Assert.Equal([2, 4, 8], new SuccessiveHalving(2, 2, 9, Accuracy).Rungs);
    }

    [Fact]
    public void OnlyTheTopOneOverEtaAtARungGoesOn()
    {
        // η = 2: with n values at a rung the best ⌊n/2⌋ (at least one) continue. Accuracy: higher is better.
        var asha = new SuccessiveHalving(1, 2, 8, Accuracy);
        double[] arriving = [0.50, 0.40, 0.90, 0.60, 0.55, 0.95];
        bool[] expected =
        [
            true,  // n=1, keep 1: the first at a rung always goes on
            false, // n=2, keep 1: 0.40 < 0.50
            true,  // n=3, keep 1: 0.90 is the best
            true,  // n=4, keep 2: 0.90 and 0.60
            false, // n=5, keep 2: 0.90 and 0.60, not 0.55
            true,  // n=6, keep 3: 0.95 is the best
        ];
        for (int t = 0; t < arriving.Length; t++)
            Assert.True(expected[t] == asha.Report(t, 1, arriving[t]), $"trial {t} ({arriving[t]})");
    }

    [Fact]
    public void LossesAreBetterWhenLowerAndRungsAreIndependent()
    {
        var asha = new SuccessiveHalving(1, 3, 10, Loss);
        Assert.True(asha.Report(0, 1, 0.9));
        Assert.True(asha.Report(1, 1, 0.5));   // lower loss: best so far
        Assert.False(asha.Report(2, 1, 0.7));  // n=3, keep 1 (0.5)
        // Rung 3 has only trial 1 so far: it goes on regardless of rung 1.
        Assert.True(asha.Report(1, 3, 0.4));
        Assert.False(asha.Report(0, 3, 0.45)); // n=2, keep 1 (0.4)
    }

    [Fact]
    public void EpochsBetweenRungsAlwaysGoOnAndNaNStops()
    {
        var asha = new SuccessiveHalving(2, 3, 20, Accuracy);
        Assert.True(asha.Report(0, 1, 0.0));
        Assert.True(asha.Report(0, 5, 0.0));
        Assert.False(asha.Report(1, 2, double.NaN));
        Assert.True(asha.Report(2, 2, 0.1));
    }

    [Fact]
    public void RestoredValuesCountInLaterDecisions()
    {
        var asha = new SuccessiveHalving(1, 2, 8, Accuracy);
        asha.Restore(0, 1, 0.9);
        asha.Restore(1, 1, 0.8);
        // n=3, keep 1: 0.85 is not the best of {0.9, 0.8, 0.85}.
        Assert.False(asha.Report(2, 1, 0.85));
        // A rerun trial replaces its own value instead of adding a second one: n stays 3.
        Assert.True(asha.Report(2, 1, 0.95));
    }

    [Theory]
    [InlineData(0, 3, 10)]
    [InlineData(1, 1, 10)]
    [InlineData(5, 3, 5)]
    public void BadKnobsAreRefused(int min, int eta, int max) =>
        Assert.Throws<ArgumentException>(() => new SuccessiveHalving(min, eta, max, Accuracy));

    [Fact]
    public void UnknownMetricsAndModesAreNamed()
    {
        var e = Assert.Throws<ArgumentException>(() => SweepMetric.Parse("val_f1", null));
        Assert.Contains("val_f1", e.Message);
        Assert.Contains("val_accuracy", e.Message);
        Assert.Contains("biggest", Assert.Throws<ArgumentException>(() => SweepMetric.Parse("val_loss", "biggest")).Message);
        Assert.True(SweepMetric.Parse("val_loss", "max").Maximize);
    }
}
