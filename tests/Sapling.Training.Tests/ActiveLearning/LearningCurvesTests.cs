using Sapling.Training.ActiveLearning;

namespace Sapling.Training.Tests.ActiveLearning;

public class LearningCurvesTests
{
    private static readonly LearningCurvePoint[] Points =
    [
        new("entropy", 0, 0, 50, 0.70), new("entropy", 1, 0, 50, 0.60), new("entropy", 2, 0, 50, 0.90),
        new("entropy", 0, 1, 100, 0.80), new("entropy", 1, 1, 100, 0.85), new("entropy", 2, 1, 100, 0.95),
        new("random", 0, 0, 50, 0.70), new("random", 1, 0, 50, 0.60), new("random", 2, 0, 50, 0.90),
        new("random", 0, 1, 100, 0.75), new("random", 1, 1, 100, 0.70), new("random", 2, 1, 100, 0.80),
    ];

    [Fact]
    public void MediansAreTakenOverSeedsPerLabelCount()
    {
        var medians = LearningCurves.Medians(Points);
        Assert.Equal(["entropy", "random"], medians.Select(m => m.Strategy));
        Assert.Equal([(50, 0.70), (100, 0.85)], medians[0].Curve);
        Assert.Equal([(50, 0.70), (100, 0.75)], medians[1].Curve);
    }

    [Fact]
    public void TableHasARowPerLabelCount()
    {
        var lines = LearningCurves.Table(Points).TrimEnd().Split('\n').Select(l => l.TrimEnd('\r')).ToArray();
        Assert.Equal("| labels | entropy (median of 3) | random (median of 3) |", lines[0]);
        Assert.Equal("| 100 | 85.00 % | 75.00 % |", lines[3]);
    }
}
