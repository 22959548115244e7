using Sapling.Training.ActiveLearning;

namespace Sapling.Training.Tests.ActiveLearning;

public sealed class LabelMergeTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("sapling-label-merge-").FullName;

    public void Dispose() => Directory.Delete(root, recursive: true);

    private string File_(string name, string text)
    {
        var path = Path.Combine(root, name);
        File.WriteAllText(path, text);
        return path;
    }

    // Three features, labels 0..2 (the digits layout, smaller).
    private string Train => File_("train.csv", "1,2,3,0\n4,5,6,1\n7,8,9,2\n");
    private string Out => Path.Combine(root, "merged.csv");

    [Fact]
    public void AddsLabelledRowsSkipsUnlabelledAndReportsDuplicates()
    {
        var labels = File_("labels.csv", """
            id,score,guess,label,a,b,c
            10,0.9,1,1,1,1,1
            11,0.8,0,,2,2,2
            12,0.7,2,2,3,3,3
            12,0.7,2,2,3,3,3
            13,0.6,0,0,1,2,3
            """);
        var summary = LabelMerge.Merge(Train, labels, Out);
        Assert.Equal(2, summary.Added);
        Assert.Equal(1, summary.Unlabelled);
        Assert.Equal(2, summary.Duplicates.Count);
        Assert.Contains(summary.Duplicates, d => d.Contains("id 12") && d.Contains("twice"));
        Assert.Contains(summary.Duplicates, d => d.Contains("id 13") && d.Contains("already in the training set"));
        Assert.Equal(["1,2,3,0", "4,5,6,1", "7,8,9,2", "1,1,1,1", "3,3,3,2"], File.ReadAllLines(Out));
    }

    [Theory]
    [InlineData("10,0.9,1,7,1,1,1", "unknown label '7'")]
    [InlineData("10,0.9,1,cat,1,1,1", "unknown label 'cat'")]
    [InlineData(",0.9,1,1,1,1,1", "missing or malformed id")]
    [InlineData("x1,0.9,1,1,1,1,1", "missing or malformed id 'x1'")]
    [InlineData("10,0.9,1,1,1,1,1\n10,0.9,1,2,1,1,1", "labelled '2' here but '1' earlier")]
    public void RefusesBadRowsAndWritesNothing(string rows, string reason)
    {
        var labels = File_("labels.csv", "id,score,guess,label,a,b,c\n5,0.5,1,1,9,9,9\n" + rows + "\n");
        var e = Assert.Throws<InvalidDataException>(() => LabelMerge.Merge(Train, labels, Out));
        Assert.Contains(reason, e.Message);
        Assert.Contains("nothing written", e.Message);
        Assert.False(File.Exists(Out));
    }

    [Fact]
    public void AFileWithTheWrongWidthOrNoIdColumnIsRefused()
    {
        Assert.Contains("2 feature values", Assert.Throws<InvalidDataException>(() => LabelMerge.Merge(Train, File_("l.csv", "id,score,guess,label,a,b\n1,0,0,0,1,1\n"), Out)).Message);
        Assert.Contains("id and a label column", Assert.Throws<InvalidDataException>(() => LabelMerge.Merge(Train, File_("m.csv", "score,label,a,b,c\n0,0,1,1,1\n"), Out)).Message);
    }

    [Fact]
    public void SuggestionFilesRoundTripThroughAMerge()
    {
        var suggested = Path.Combine(root, "suggested.csv");
        SuggestionFile.Write(suggested, [new Suggestion(3, 1.5, "2", [0, 0, 16]), new Suggestion(1, 0.25, "0", [5, 5, 5])], ["a", "b", "c"]);
        var lines = File.ReadAllLines(suggested);
        Assert.Equal(["id,score,guess,label,a,b,c", "3,1.5,2,,0,0,16", "1,0.25,0,,5,5,5"], lines);
        // The labeller fills in the first row only.
        File.WriteAllLines(suggested, [lines[0], "3,1.5,2,2,0,0,16", lines[2]]);
        var summary = LabelMerge.Merge(Train, suggested, Out);
        Assert.Equal((1, 1), (summary.Added, summary.Unlabelled));
        Assert.Equal("0,0,16,2", File.ReadAllLines(Out)[^1]);
    }
}
