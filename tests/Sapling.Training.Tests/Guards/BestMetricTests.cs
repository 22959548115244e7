using Sapling.Training.Guards;

namespace Sapling.Training.Tests.Guards;

/// <summary>NaN never becomes "the best model", and a NaN last evaluation always gives way to the kept best.</summary>
public class BestMetricTests
{
    [Theory]
    [InlineData(0.5, double.NaN, true, true)]      // the first finite figure is the best so far
    [InlineData(double.NaN, double.NaN, true, false)]
    [InlineData(double.NaN, 0.7, true, false)]
    [InlineData(double.NaN, 0.7, false, false)]
    [InlineData(0.4, 0.5, true, true)]
    [InlineData(0.6, 0.5, true, false)]
    [InlineData(0.9, 0.8, false, true)]
    public void ANaNMetricNeverImproves(double metric, double best, bool lowerIsBetter, bool expected) =>
        Assert.Equal(expected, BestMetric.Improves(metric, best, lowerIsBetter));

    [Theory]
    [InlineData(0.5, double.NaN, true, true)]      // the last evaluation was NaN: the kept model wins
    [InlineData(0.9, double.NaN, false, true)]
    [InlineData(double.NaN, 0.5, true, false)]     // nothing kept
    [InlineData(0.4, 0.5, true, true)]
    [InlineData(0.6, 0.5, true, false)]
    public void ANaNLastEvaluationGivesWayToTheKeptBest(double best, double last, bool lowerIsBetter, bool expected) =>
        Assert.Equal(expected, BestMetric.KeepsBest(best, last, lowerIsBetter));
}
