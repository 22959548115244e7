using System.Text.Json;
using Sapling.Testing;

namespace Sapling.Training.Tests.Evaluation;

/// <summary>One classification case from tests/fixtures/metrics.json (written by make_metric_fixtures.py with scikit-learn).</summary>
public sealed record ClassificationCase(string Name, long[] YTrue, long[] YPred, int[] Labels, string[]? Names, JsonElement Expected)
{
    /// <summary>True when the labels are 0..C-1, so the numClasses overloads apply.</summary>
    public bool LabelsAreRange => Labels.Select((l, i) => l == i).All(x => x);

    public override string ToString() => Name;
}

public sealed record TopKCase(string Name, long[] YTrue, int NumClasses, double[] Scores, Dictionary<int, double> Accuracy)
{
    public override string ToString() => Name;
}

public static class MetricFixtures
{
    private static readonly Lazy<JsonDocument> Document = new(() =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(Fixtures.Directory, "metrics.json"))));

    public static IReadOnlyList<ClassificationCase> Classification { get; } = Document.Value.RootElement.GetProperty("classification")
        .EnumerateArray()
        .Select(c => new ClassificationCase(
            c.GetProperty("name").GetString()!,
            Longs(c.GetProperty("y_true")),
            Longs(c.GetProperty("y_pred")),
            c.GetProperty("labels").EnumerateArray().Select(x => x.GetInt32()).ToArray(),
            c.TryGetProperty("names", out var n) ? n.EnumerateArray().Select(x => x.GetString()!).ToArray() : null,
            c))
        .ToList();

    public static IReadOnlyList<TopKCase> TopK { get; } = Document.Value.RootElement.GetProperty("topk")
        .EnumerateArray()
        .Select(c => new TopKCase(
            c.GetProperty("name").GetString()!,
            Longs(c.GetProperty("y_true")),
            c.GetProperty("num_classes").GetInt32(),
            c.GetProperty("scores").EnumerateArray().Select(x => x.GetDouble()).ToArray(),
            c.GetProperty("accuracy").EnumerateObject().ToDictionary(p => int.Parse(p.Name), p => p.Value.GetDouble())))
        .ToList();

    public static ClassificationCase Case(string name) => Classification.Single(c => c.Name == name);

    public static double[] Doubles(JsonElement e) => e.EnumerateArray().Select(x => x.GetDouble()).ToArray();

    private static long[] Longs(JsonElement e) => e.EnumerateArray().Select(x => x.GetInt64()).ToArray();
}
