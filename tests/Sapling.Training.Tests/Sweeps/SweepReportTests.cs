using System.Xml.Linq;
using Sapling.Training.Sweeps;

namespace Sapling.Training.Tests.Sweeps;

public sealed class SweepReportTests : IDisposable
{
    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";
    private readonly string root = Directory.CreateTempSubdirectory("sapling-sweep-report-").FullName;

    public void Dispose() => Directory.Delete(root, recursive: true);

    private SweepReport Sample()
    {
        var journal = SweepJournal.Open(root, new SweepHeader("val_loss", false, [new("train.lr", true), new("model.dropout", false), new("train.optimizer", false)]));
        Setting[] S(string lr, string dropout, string optimizer) => [new("train.lr", lr), new("model.dropout", dropout), new("train.optimizer", optimizer)];
        journal.Add(new TrialRecord(0, TrialRecord.Complete, S("0.001", "0.1", "adamw"), 0.30, 9, 10, 4.0, "trial-000"));
        journal.Add(new TrialRecord(1, TrialRecord.Pruned, S("0.1", "0.3", "sgd"), 0.20, 2, 2, 1.0, "trial-001"));
        journal.Add(new TrialRecord(2, TrialRecord.Complete, S("0.01", "0.2", "adamw"), 0.10, 8, 10, 4.0, "trial-002"));
        journal.Add(new TrialRecord(3, TrialRecord.Complete, S("0.0001", "0", "sgd"), double.NaN, 0, 3, 1.0, "trial-003"));
        return new SweepReport(SweepJournal.Read(root));
    }

    [Fact]
    public void LeaderboardRanksCompleteTrialsFirstBestFirstAndDivergedLast()
    {
        var report = Sample();
        Assert.Equal([2, 0, 3, 1], report.Ranked.Select(t => t.Trial));
        var lines = report.Leaderboard().Split('\n');
        Assert.Equal(["rank", "trial", "train.lr", "model.dropout", "train.optimizer", "val_loss", "epochs", "status"], lines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(["1", "2", "0.01", "0.2", "adamw", "0.1000", "10", "complete"], lines[1].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(["4", "1", "0.1", "0.3", "sgd", "0.2000", "2", "pruned"], lines[4].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("4 trials (1 pruned)", report.Leaderboard());
    }

    [Fact]
    public void MarkdownLeaderboardIsATable()
    {
        var lines = Sample().Leaderboard(markdown: true).TrimEnd().Split('\n');
        Assert.Equal("| rank | trial | train.lr | model.dropout | train.optimizer | val_loss | epochs | status |", lines[0]);
        Assert.Equal("| --- | --- | --- | --- | --- | --- | --- | --- |", lines[1]);
        Assert.Equal(6, lines.Length);
    }

    [Fact]
    public void OnePlotPerNumericSettingWithALogAxisForLogSettings()
    {
        var files = Sample().DrawPlots(root);
        Assert.Equal(["val_loss-vs-train.lr.svg", "val_loss-vs-model.dropout.svg"], files.Select(Path.GetFileName));
        var lr = XDocument.Load(files[0]);
        var ticks = lr.Descendants(Svg + "text").Select(t => t.Value).ToList();
        Assert.Contains("train.lr (log scale)", ticks);
        // A log axis over 0.001..0.1 (the diverged trial has no point) has ticks at 0.001 and 0.01; a linear one would not.
        Assert.Contains("0.001", ticks);
        Assert.Contains("0.01", ticks);
        // Points, not lines: a complete and a pruned series (the diverged NaN point is skipped).
        Assert.Empty(lr.Descendants(Svg + "polyline"));
        Assert.Equal(3, lr.Descendants(Svg + "g").Where(g => (string?)g.Attribute("class") == "series").SelectMany(g => g.Elements(Svg + "circle")).Count());
    }
}
