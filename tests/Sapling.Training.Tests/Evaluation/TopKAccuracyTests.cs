using Sapling.Training.Evaluation;

namespace Sapling.Training.Tests.Evaluation;

public class TopKAccuracyTests
{
    public static TheoryData<string, int> Cases()
    {
        var data = new TheoryData<string, int>();
        foreach (var c in MetricFixtures.TopK)
            foreach (var k in c.Accuracy.Keys) data.Add(c.Name, k);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesSklearnIncludingTies(string name, int k)
    {
        var c = MetricFixtures.TopK.Single(x => x.Name == name);
        var expected = c.Accuracy[k];
        // The fixture's scores are float32 values, so both precisions rank them identically.
        var floats = Array.ConvertAll(c.Scores, v => (float)v);
        Assert.Equal(expected, Metrics.TopKAccuracy<long, double>(c.YTrue, c.Scores, c.NumClasses, k), 1e-9);
        Assert.Equal(expected, Metrics.TopKAccuracy<long, float>(c.YTrue, floats, c.NumClasses, k), 1e-9);
        using var yTrue = Tensor.FromArray(c.YTrue, c.YTrue.Length);
        using var scores = Tensor.FromArray(floats, c.YTrue.Length, c.NumClasses);
        Assert.Equal(expected, Metrics.TopKAccuracy(yTrue, scores, k), 1e-9);
    }

    [Fact]
    public void TopOneIsArgMaxWithTiesToTheLargerClass()
    {
        // Row 0 ties classes 0 and 2: sklearn ranks class 2 first.
        float[] scores = [1, 0, 1, 0, 5, 1];
        Assert.Equal(0.5, Metrics.TopKAccuracy<int, float>([0, 1], scores, 3, 1));
        Assert.Equal(1.0, Metrics.TopKAccuracy<int, float>([2, 1], scores, 3, 1));
    }

    [Fact]
    public void BadArgumentsAreErrors()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Metrics.TopKAccuracy<int, float>([0], [1f, 2f], 2, 0));
        Assert.Throws<ArgumentException>(() => Metrics.TopKAccuracy<int, float>([0], [1f, 2f, 3f], 2, 1));
        Assert.Throws<ArgumentException>(() => Metrics.TopKAccuracy<int, float>([0], [float.NaN, 2f], 2, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Metrics.TopKAccuracy<int, float>([2], [1f, 2f], 2, 1));
    }
}
