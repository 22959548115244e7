using System.Text.Json;
using Sapling.Training.Evaluation;

namespace Sapling.Training.Tests.Evaluation;

public class ClassificationMetricTests
{
    private const double Tolerance = 1e-9;

    public static TheoryData<string> Cases() => new(MetricFixtures.Classification.Select(c => c.Name));

    [Theory]
    [MemberData(nameof(Cases))]
    public void AccuracyMatchesSklearn(string name)
    {
        var c = MetricFixtures.Case(name);
        var expected = c.Expected.GetProperty("accuracy").GetDouble();
        Assert.Equal(expected, Metrics.Accuracy<long>(c.YTrue, c.YPred), Tolerance);
        Assert.Equal(expected, Metrics.Accuracy<int>(ToInts(c.YTrue), ToInts(c.YPred)), Tolerance);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void ConfusionMatrixMatchesSklearn(string name)
    {
        var c = MetricFixtures.Case(name);
        var expected = c.Expected.GetProperty("confusion_matrix").EnumerateArray().Select(r => r.EnumerateArray().Select(x => x.GetInt64()).ToArray()).ToArray();
        AssertMatrix(expected, Metrics.ConfusionMatrix<long>(c.YTrue, c.YPred, c.Labels));
        if (c.LabelsAreRange) AssertMatrix(expected, Metrics.ConfusionMatrix<int>(ToInts(c.YTrue), ToInts(c.YPred), c.Labels.Length));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void PerClassScoresMatchSklearn(string name)
    {
        var c = MetricFixtures.Case(name);
        var expected = c.Expected.GetProperty("per_class");
        var actual = c.LabelsAreRange
            ? Metrics.PrecisionRecallF1PerClass<long>(c.YTrue, c.YPred, c.Labels.Length)
            : Metrics.PrecisionRecallF1PerClass<long>(c.YTrue, c.YPred, c.Labels);
        Assert.Equal(c.Labels, actual.Labels);
        AssertClose(MetricFixtures.Doubles(expected.GetProperty("precision")), actual.Precision);
        AssertClose(MetricFixtures.Doubles(expected.GetProperty("recall")), actual.Recall);
        AssertClose(MetricFixtures.Doubles(expected.GetProperty("f1")), actual.F1);
        Assert.Equal(expected.GetProperty("support").EnumerateArray().Select(x => x.GetInt64()), actual.Support);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void AveragesMatchSklearn(string name)
    {
        var c = MetricFixtures.Case(name);
        foreach (var (average, key) in new[] { (Average.Macro, "macro"), (Average.Micro, "micro"), (Average.Weighted, "weighted") })
        {
            var expected = c.Expected.GetProperty(key);
            var fromLabels = Metrics.PrecisionRecallF1<long>(c.YTrue, c.YPred, c.Labels, average);
            AssertScores(expected, fromLabels);
            if (!c.LabelsAreRange) continue;
            var yTrue = ToInts(c.YTrue);
            var yPred = ToInts(c.YPred);
            AssertScores(expected, Metrics.PrecisionRecallF1<int>(yTrue, yPred, c.Labels.Length, average));
            Assert.Equal(expected.GetProperty("precision").GetDouble(), Metrics.Precision<int>(yTrue, yPred, c.Labels.Length, average), Tolerance);
            Assert.Equal(expected.GetProperty("recall").GetDouble(), Metrics.Recall<int>(yTrue, yPred, c.Labels.Length, average), Tolerance);
            Assert.Equal(expected.GetProperty("f1").GetDouble(), Metrics.F1<int>(yTrue, yPred, c.Labels.Length, average), Tolerance);
        }
    }

    [Fact]
    public void ArraysInferTheLabelType()
    {
        int[] yTrue = [0, 1, 2, 2];
        int[] yPred = [0, 2, 2, 2];
        Assert.Equal(0.75, Metrics.Accuracy(yTrue, yPred));
        Assert.Equal(1L, Metrics.ConfusionMatrix(yTrue, yPred, 3)[1, 2]);
        Assert.Equal(new[] { 0, 1, 2 }, Metrics.UniqueLabels(yTrue, yPred));
    }

    [Fact]
    public void TensorOverloadsTakeLabelsOrScores()
    {
        using var yTrue = Tensor.FromArray(new long[] { 0, 1, 2, 1 }, 4);
        using var labels = Tensor.FromArray(new long[] { 0, 2, 2, 1 }, 4);
        using var logits = Tensor.FromArray(new float[] { 3, 1, 0, 0, 1, 2, 0, 0, 5, 0, 4, 1 }, 4, 3);
        Assert.Equal(0.75, Metrics.Accuracy(yTrue, labels));
        Assert.Equal(0.75, Metrics.Accuracy(yTrue, logits));
        Assert.Equal(1L, Metrics.ConfusionMatrix(yTrue, logits, 3)[1, 2]);
        var scores = Metrics.PrecisionRecallF1(yTrue, logits, 3, Average.Macro);
        Assert.Equal(Metrics.PrecisionRecallF1<long>([0, 1, 2, 1], [0, 2, 2, 1], 3, Average.Macro), scores);
    }

    [Fact]
    public void LabelOutsideTheClassCountIsAnError()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Metrics.PrecisionRecallF1<int>([0, 3], [0, 1], 3, Average.Macro));
        Assert.Contains("label 3", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => Metrics.ConfusionMatrix<int>([0, 1], [0, -1], 3));
    }

    [Fact]
    public void MismatchedLengthsAndDuplicateLabelsAreErrors()
    {
        Assert.Throws<ArgumentException>(() => Metrics.Accuracy<int>([0, 1], [0]));
        Assert.Throws<ArgumentException>(() => Metrics.ConfusionMatrix<int>([0], [0], [1, 0, 1]));
        Assert.Throws<ArgumentException>(() => Metrics.Accuracy(Tensor.FromArray(new float[] { 0, 1 }, 2), Tensor.FromArray(new long[] { 0, 1 }, 2)));
    }

    [Fact]
    public void LargeAndNegativeLabelsUseTheExplicitList()
    {
        long[] yTrue = [-5, 1_000_000, -5, 7];
        long[] yPred = [-5, -5, 1_000_000, 7];
        var cm = Metrics.ConfusionMatrix<long>(yTrue, yPred, [1_000_000, -5, 7]);
        Assert.Equal(new long[,] { { 0, 1, 0 }, { 1, 1, 0 }, { 0, 0, 1 } }, cm);
    }

    [Fact]
    public void EmptyInputGivesNaNAccuracyAndZeroScores()
    {
        Assert.True(double.IsNaN(Metrics.Accuracy<int>([], [])));
        Assert.Equal(new Scores(0, 0, 0), Metrics.PrecisionRecallF1<int>([], [], 3, Average.Weighted));
    }

    private static int[] ToInts(long[] values) => Array.ConvertAll(values, v => checked((int)v));

    private static void AssertScores(JsonElement expected, Scores actual)
    {
        Assert.Equal(expected.GetProperty("precision").GetDouble(), actual.Precision, Tolerance);
        Assert.Equal(expected.GetProperty("recall").GetDouble(), actual.Recall, Tolerance);
        Assert.Equal(expected.GetProperty("f1").GetDouble(), actual.F1, Tolerance);
    }

    private static void AssertClose(double[] expected, double[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], Tolerance);
    }

    private static void AssertMatrix(long[][] expected, long[,] actual)
    {
        Assert.Equal(expected.Length, actual.GetLength(0));
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i].Length, actual.GetLength(1));
            for (int j = 0; j < expected[i].Length; j++) Assert.Equal(expected[i][j], actual[i, j]);
        }
    }
}
