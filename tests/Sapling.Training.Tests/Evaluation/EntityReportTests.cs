using Sapling.Training.Evaluation;

namespace Sapling.Training.Tests.Evaluation;

/// <summary>Entity-level scores against seqeval's own documented results (its README and get_entities docstring).</summary>
public sealed class EntityReportTests
{
    [Fact]
    public void SeqevalsReadmeExampleGivesItsNumbers()
    {
        string[][] truth = [["O", "O", "O", "B-MISC", "I-MISC", "I-MISC", "O"], ["B-PER", "I-PER", "O"]];
        string[][] predicted = [["O", "O", "B-MISC", "I-MISC", "I-MISC", "I-MISC", "O"], ["B-PER", "I-PER", "O"]];
        var report = EntityReport.Create(truth, predicted);
        // seqeval: f1_score 0.50, accuracy_score 0.80; MISC 0.00/0.00/0.00 support 1, PER 1.00/1.00/1.00 support 1.
        Assert.Equal(0.5, report.MicroF1, 12);
        Assert.Equal(0.8, report.Accuracy, 12);
        Assert.Equal(["MISC", "PER"], report.PerClass.Select(c => c.Name));
        Assert.Equal([0.0, 1.0], report.PerClass.Select(c => c.F1));
        Assert.Equal([1L, 1L], report.PerClass.Select(c => c.Support));
        Assert.Equal(0.5, report.MacroF1, 12);
        Assert.Equal(0.5, report.WeightedF1, 12);
        Assert.Contains("micro avg", report.ToText());
    }

    [Fact]
    public void ChunksFollowConllevalsRules()
    {
        Assert.Equal([("PER", 0, 1), ("LOC", 3, 3)], EntityReport.Spans(["B-PER", "I-PER", "O", "B-LOC"]));
        // An I- tag after O opens a chunk; a change of type closes one; IOBES singletons and ends.
        Assert.Equal([("PER", 1, 2)], EntityReport.Spans(["O", "I-PER", "I-PER"]));
        Assert.Equal([("PER", 0, 0), ("LOC", 1, 1)], EntityReport.Spans(["B-PER", "I-LOC"]));
        Assert.Equal([("PER", 0, 0), ("LOC", 1, 2)], EntityReport.Spans(["S-PER", "B-LOC", "E-LOC"]));
        Assert.Empty(EntityReport.Spans(["O", "O"]));
    }

    [Fact]
    public void OnlyChunkTagsCountAsAScheme()
    {
        Assert.True(EntityReport.IsChunkScheme(["O", "B-PER", "I-PER", "S-LOC", "E-LOC"]));
        Assert.False(EntityReport.IsChunkScheme(["O", "COMMA", "PERIOD"]));
        Assert.False(EntityReport.IsChunkScheme(["O"]));
    }
}
