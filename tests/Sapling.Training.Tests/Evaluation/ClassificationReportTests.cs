using System.Text.Json;
using Sapling.Training.Evaluation;

namespace Sapling.Training.Tests.Evaluation;

public class ClassificationReportTests
{
    public static TheoryData<string> Cases() => new(MetricFixtures.Classification.Select(c => c.Name));

    [Theory]
    [MemberData(nameof(Cases))]
    public void TextIsSklearnsCharacterForCharacter(string name)
    {
        var c = MetricFixtures.Case(name);
        var report = ClassificationReport.Create<long>(c.YTrue, c.YPred, c.Labels, c.Names);
        foreach (var digits in new[] { 2, 4 })
            Assert.Equal(c.Expected.GetProperty("report").GetProperty(digits.ToString()).GetString(), report.ToText(digits));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void NumbersMatchSklearn(string name)
    {
        var c = MetricFixtures.Case(name);
        var report = ClassificationReport.Create<long>(c.YTrue, c.YPred, c.Labels, c.Names);
        var e = c.Expected;
        Assert.Equal(e.GetProperty("accuracy").GetDouble(), report.Accuracy, 1e-9);
        Assert.Equal(e.GetProperty("macro").GetProperty("f1").GetDouble(), report.MacroF1, 1e-9);
        Assert.Equal(e.GetProperty("micro").GetProperty("precision").GetDouble(), report.MicroPrecision, 1e-9);
        Assert.Equal(e.GetProperty("weighted").GetProperty("recall").GetDouble(), report.WeightedRecall, 1e-9);
        var recall = MetricFixtures.Doubles(e.GetProperty("per_class").GetProperty("recall"));
        for (int i = 0; i < recall.Length; i++)
        {
            Assert.Equal(c.Labels[i], report.PerClass[i].Label);
            Assert.Equal(recall[i], report.PerClass[i].Recall, 1e-9);
        }
    }

    [Fact]
    public void SerialisesToSnakeCaseJson()
    {
        var c = MetricFixtures.Case("random_10_classes");
        var report = ClassificationReport.Create<long>(c.YTrue, c.YPred, 10, c.Names);
        using var json = JsonDocument.Parse(report.ToJson());
        var root = json.RootElement;
        Assert.Equal(report.Accuracy, root.GetProperty("accuracy").GetDouble());
        Assert.Equal(report.MacroF1, root.GetProperty("macro_f1").GetDouble());
        Assert.Equal(500, root.GetProperty("support").GetInt64());
        var cat = root.GetProperty("per_class")[3];
        Assert.Equal("cat", cat.GetProperty("name").GetString());
        Assert.Equal(3, cat.GetProperty("label").GetInt32());
        Assert.Equal(report.PerClass[3].F1, cat.GetProperty("f1").GetDouble());
        Assert.False(root.TryGetProperty("MicroIsAccuracy", out _));

        var back = JsonSerializer.Deserialize<ClassificationReport>(report.ToJson())!;
        Assert.Equal(report.ToText(), back.ToText());
    }

    [Fact]
    public void EmptyInputSerialisesNaNAccuracy()
    {
        var report = ClassificationReport.Create<int>([], [], 2);
        Assert.Contains("\"accuracy\":\"NaN\"", report.ToJson());
    }

    [Fact]
    public void TensorInputsAndWrongNameCount()
    {
        using var yTrue = Tensor.FromArray(new long[] { 0, 1, 1 }, 3);
        using var logits = Tensor.FromArray(new float[] { 2, 1, 0, 3, 4, 1 }, 3, 2);
        var report = ClassificationReport.Create(yTrue, logits, 2, ["cat", "dog"]);
        Assert.Equal(2.0 / 3, report.Accuracy, 1e-12);
        Assert.StartsWith("              precision", report.ToString());
        Assert.Throws<ArgumentException>(() => ClassificationReport.Create(yTrue, logits, 2, ["cat"]));
    }

    [Theory]
    [InlineData(0.125, 2, "0.12")]
    [InlineData(0.375, 2, "0.38")]
    [InlineData(0.625, 2, "0.62")]
    [InlineData(0.875, 2, "0.88")]
    [InlineData(2.5, 0, "2")]
    [InlineData(0.03125, 4, "0.0312")]
    [InlineData(0.12500000000000003, 2, "0.13")]
    [InlineData(2.675, 2, "2.67")]
    [InlineData(1.0, 2, "1.00")]
    public void FormatsLikePython(double value, int digits, string expected)
        => Assert.Equal(expected, PythonFormat.Fixed(value, digits));
}
