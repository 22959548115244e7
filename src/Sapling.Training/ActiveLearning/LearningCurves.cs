using System.Globalization;
using System.Text;
using System.Text.Json;
using Sapling.IO;
using Sapling.Training.Plots;

namespace Sapling.Training.ActiveLearning;

/// <summary>Median learning curves over seeds: a Markdown table, a plot, and the raw points as JSON lines.</summary>
public static class LearningCurves
{
    /// <summary>Median test accuracy per strategy at each label count, strategies in first-seen order.</summary>
    public static IReadOnlyList<(string Strategy, IReadOnlyList<(int Labels, double Median)> Curve)> Medians(IReadOnlyList<LearningCurvePoint> points) =>
        points.GroupBy(p => p.Strategy)
            .Select(g => (g.Key, (IReadOnlyList<(int, double)>)g.GroupBy(p => p.Labels).OrderBy(l => l.Key).Select(l => (l.Key, Median(l.Select(p => p.TestAccuracy)))).ToList()))
            .ToList();

    /// <summary>
    /// The median curves as a Markdown table: one row per label count, one column per strategy, in percent.
    /// </summary>
    public static string Table(IReadOnlyList<LearningCurvePoint> points)
    {
        var medians = Medians(points);
        int seeds = points.Select(p => p.Seed).Distinct().Count();
        var text = new StringBuilder();
        text.Append("| labels | ").AppendJoin(" | ", medians.Select(m => $"{m.Strategy} (median of {seeds})")).AppendLine(" |");
        text.Append("| ---: |").AppendJoin("", medians.Select(_ => " ---: |")).AppendLine();
        foreach (var labels in medians[0].Curve.Select(c => c.Labels))
        {
            text.Append("| ").Append(labels.ToString(CultureInfo.InvariantCulture)).Append(" | ");
            text.AppendJoin(" | ", medians.Select(m => m.Curve.Where(c => c.Labels == labels).Select(c => (100 * c.Median).ToString("F2", CultureInfo.InvariantCulture) + " %").FirstOrDefault() ?? ""));
            text.AppendLine(" |");
        }
        return text.ToString();
    }

    /// <summary>
    /// Draws the median curves (test accuracy against labels) as an SVG at <paramref name="path"/>; random is dashed.
    /// </summary>
    public static void Plot(IReadOnlyList<LearningCurvePoint> points, string path)
    {
        int seeds = points.Select(p => p.Seed).Distinct().Count();
        var plot = new LinePlot { Title = $"Active learning on digits: median test accuracy over {seeds} seeds", XLabel = "labelled training examples" };
        var panel = plot.AddPanel("test accuracy");
        foreach (var (strategy, curve) in Medians(points))
            panel.Add(strategy, curve.Select(c => (double)c.Labels), curve.Select(c => c.Median), dashed: strategy == "random");
        plot.Save(path);
    }

    /// <summary>
    /// Writes the raw points to <paramref name="path"/> as JSON lines (strategy, seed, round, labels, test_accuracy).
    /// </summary>
    public static void Save(IReadOnlyList<LearningCurvePoint> points, string path) =>
        AtomicFile.WriteAllText(path, string.Concat(points.Select(p => JsonSerializer.Serialize(new
        {
            strategy = p.Strategy, seed = p.Seed, round = p.Round, labels = p.Labels, test_accuracy = p.TestAccuracy,
        }) + "\n")));

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        int n = sorted.Length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }
}
