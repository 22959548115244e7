using System.Globalization;
using System.Text;
using Sapling.Training.Plots;

namespace Sapling.Training.Sweeps;

/// <summary>A finished sweep as a leaderboard and one metric-versus-setting scatter plot per searched setting.</summary>
public sealed class SweepReport
{
    private readonly SweepJournal journal;
    private readonly SweepMetric metric;

    /// <summary>Creates the report of the trials <paramref name="journal"/> has recorded.</summary>
    public SweepReport(SweepJournal journal)
    {
        this.journal = journal;
        metric = new SweepMetric(journal.Header.Metric, journal.Header.Maximize);
        // Trials that trained their whole budget come first: a pruned trial's model is undertrained whatever its score.
        Ranked = journal.Trials
            .OrderBy(t => t.Status == TrialRecord.Complete ? 0 : 1)
            .ThenBy(t => t.Value, Comparer<double>.Create(metric.Compare))
            .ThenBy(t => t.Trial)
            .ToList();
    }

    /// <summary>
    /// Finished trials best first: complete trials before pruned ones, then by value (NaN last), then by id.
    /// </summary>
    public IReadOnlyList<TrialRecord> Ranked { get; }

    /// <summary>The leaderboard as aligned text, or as a Markdown table for docs.</summary>
    public string Leaderboard(bool markdown = false)
    {
        var names = journal.Header.Parameters.Select(p => p.Name).ToList();
        string[] header = ["rank", "trial", .. names, metric.Name, "epochs", "status"];
        var rows = Ranked.Select((t, i) => (string[])[
            (i + 1).ToString(CultureInfo.InvariantCulture), t.Trial.ToString(CultureInfo.InvariantCulture),
            .. names.Select(n => t.Settings.FirstOrDefault(s => s.Name == n)?.Value ?? ""),
            t.Value.ToString("F4", CultureInfo.InvariantCulture), t.Epochs.ToString(CultureInfo.InvariantCulture), t.Status]).ToList();
        var text = new StringBuilder();
        if (markdown)
        {
            text.Append("| ").AppendJoin(" | ", header).AppendLine(" |");
            text.Append('|').AppendJoin("", header.Select(_ => " --- |")).AppendLine();
            foreach (var row in rows) text.Append("| ").AppendJoin(" | ", row).AppendLine(" |");
            return text.ToString();
        }
        var widths = header.Select((h, c) => rows.Select(r => r[c].Length).Append(h.Length).Max()).ToArray();
        string Line(string[] cells) => string.Join("  ", cells.Select((cell, c) => cell.PadRight(widths[c]))).TrimEnd();
        text.AppendLine(Line(header));
        foreach (var row in rows) text.AppendLine(Line(row));
        int pruned = Ranked.Count(t => t.Status == TrialRecord.Pruned);
        text.AppendLine(string.Create(CultureInfo.InvariantCulture,
            $"{Ranked.Count} trials ({pruned} pruned), {Ranked.Sum(t => t.Epochs)} epochs trained, {Ranked.Sum(t => t.Seconds) / 60:F1} trial-minutes; ranked by {metric.Name} ({(metric.Maximize ? "higher" : "lower")} is better), complete trials first"));
        return text.ToString();
    }

    /// <summary>
    /// Draws <c>metric-vs-SETTING.svg</c> for every numeric setting into <paramref name="directory"/> (log x axis for
    /// settings searched on a log scale) and returns the files written; settings with word values are skipped.
    /// </summary>
    public IReadOnlyList<string> DrawPlots(string directory)
    {
        var written = new List<string>();
        foreach (var axis in journal.Header.Parameters)
        {
            var points = Ranked.Select(t => (t.Status, X: Number(t.Settings.FirstOrDefault(s => s.Name == axis.Name)?.Value), Y: t.Value)).ToList();
            if (points.Count == 0 || points.Any(p => double.IsNaN(p.X))) continue;
            var plot = new LinePlot { Title = $"{metric.Name} against {axis.Name}", XLabel = axis.Name + (axis.LogScale ? " (log scale)" : ""), LogX = axis.LogScale };
            // Losses of poor trials can be tens of times those of good ones: a log axis keeps the good ones apart.
            var finite = points.Select(p => p.Y).Where(y => double.IsFinite(y) && y > 0).DefaultIfEmpty(1).ToList();
            var panel = plot.AddPanel(metric.Name, logY: !metric.Maximize && finite.Max() > 10 * finite.Min());
            foreach (var status in new[] { TrialRecord.Complete, TrialRecord.Pruned })
            {
                var group = points.Where(p => p.Status == status).ToList();
                if (group.Count > 0) panel.AddPoints(status, group.Select(p => p.X), group.Select(p => p.Y));
            }
            string file = Path.Combine(directory, $"{metric.Name}-vs-{SafeName(axis.Name)}.svg");
            plot.Save(file);
            written.Add(file);
        }
        return written;
    }

    private static double Number(string? text) =>
        text != null && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) ? v : double.NaN;

    private static string SafeName(string name) => new(name.Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' ? c : '_').ToArray());
}
