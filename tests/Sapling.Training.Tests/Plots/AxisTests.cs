using Sapling.Training.Plots;

namespace Sapling.Training.Tests.Plots;

public class AxisTests
{
    [Theory]
    [InlineData(0.37, 2.31, 0.0, 2.5, 0.5)]
    [InlineData(0.0, 1.0, 0.0, 1.0, 0.2)]
    [InlineData(3.0, 97.0, 0.0, 100.0, 20.0)]
    [InlineData(-0.013, 0.042, -0.02, 0.05, 0.01)]
    public void LinearTicksStepByOneTwoOrFive(double min, double max, double lo, double hi, double step)
    {
        var axis = Axis.Linear(min, max);
        Assert.Equal(lo, axis.Min, 1e-12);
        Assert.Equal(hi, axis.Max, 1e-12);
        Assert.Equal(step, axis.Ticks[1] - axis.Ticks[0], 1e-12);
    }

    [Fact]
    public void TickLabelsHaveNoFloatingPointNoise()
    {
        var axis = Axis.Linear(0.1, 0.7);
        Assert.Equal(["0.1", "0.2", "0.3", "0.4", "0.5", "0.6", "0.7"], axis.Ticks.Select(axis.Label));
    }

    [Fact]
    public void IntegerAxesHaveNoFractionalTicks()
    {
        var axis = Axis.Linear(1, 3, integerSteps: true);
        Assert.All(axis.Ticks, t => Assert.Equal(Math.Floor(t), t));
    }

    [Fact]
    public void ConstantRangesAreWidened()
    {
        foreach (var v in new[] { 0.0, 5.0, -2.0, 1e-20 })
        {
            var axis = Axis.Linear(v, v);
            Assert.True(axis.Min < v && v < axis.Max);
            Assert.True(double.IsFinite(axis.Fraction(v)));
        }
    }

    [Fact]
    public void LogTicksFollowOneTwoFiveOrDecades()
    {
        var near = Axis.Logarithmic(0.37, 2.31);
        Assert.Equal([0.2, 0.5, 1, 2, 5], near.Ticks);
        Assert.Equal(["0.2", "0.5", "1", "2", "5"], near.Ticks.Select(near.Label));
        var wide = Axis.Logarithmic(1e-7, 10);
        Assert.All(wide.Ticks, t => Assert.Equal(Math.Round(Math.Log10(t)), Math.Log10(t), 1e-9));
        Assert.Contains("1e-7", wide.Ticks.Select(wide.Label));
    }
}
