using Sapling.Data.Text;

namespace Sapling.Data.Tests.Text;

public class TextPipelineTests
{
    [Fact]
    public void CleanerAppliesEachRuleAndCountsIt()
    {
        var cleaner = new TextCleaner(new CleaningOptions { MinCharacters = 3 });
        var cleaned = cleaner.Clean("\u001b[31mRed\u001b[0m  text\r\nwith\u0007 bell\r\n\r\n\r\n\r\nand ｆｕｌｌｗｉｄｔｈ   spaces");
        Assert.Equal("Red text\nwith bell\n\nand fullwidth spaces", cleaned);
        Assert.Equal(1, cleaner.Report["ANSI escapes removed"]);
        Assert.Equal(1, cleaner.Report["control characters removed"]);
        Assert.Equal(1, cleaner.Report["NFKC normalised"]);
        Assert.Equal(1, cleaner.Report["line endings fixed"]);
        Assert.Null(cleaner.Clean("ab"));
        Assert.Equal(1, cleaner.Report["dropped: too short"]);
        Assert.Null(cleaner.Clean("Ã©tÃ© Ã  la plage, câ€™est lâ€™Ã©tÃ©"));
        Assert.Equal(1, cleaner.Report["dropped: mojibake or replacement characters"]);
        Assert.Null(cleaner.Clean(new string('x', 10) + new string('\uFFFD', 2)));
        Assert.Equal(2, cleaner.Report["dropped: mojibake or replacement characters"]);
    }

    [Fact]
    public void ExactAndNearDuplicatesAreRemoved()
    {
        var dedup = new NearDuplicates(threshold: 0.7);
        string a = "The quick brown fox jumps over the lazy dog near the river bank on a sunny afternoon.";
        Assert.True(dedup.Add(a));
        Assert.False(dedup.Add(a));
        Assert.Equal(1, dedup.ExactDuplicates);
        Assert.False(dedup.Add(a.Replace("sunny", "sunny,")));
        Assert.Equal(1, dedup.NearDuplicateCount);
        Assert.True(dedup.Add("An entirely different sentence about compilers, registers and instruction scheduling."));
        Assert.InRange(dedup.EstimateJaccard(a, a.Replace("sunny", "sunny,")), 0.7, 1.0);
        Assert.InRange(dedup.EstimateJaccard(a, "Completely unrelated words appear in this one instead."), 0.0, 0.2);
    }

    [Fact]
    public void DocumentSourcesReadEachLayout()
    {
        var dir = Directory.CreateTempSubdirectory("sapling-text-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "c.txt"), "one\n%\ntwo\nlines\n%\n");
            File.WriteAllText(Path.Combine(dir, "d.jsonl"), "{\"text\": \"alpha\", \"id\": 1}\n\n{\"text\": \"beta\"}\n");
            Assert.Equal(new[] { "one\n", "two\nlines\n" }, DocumentSource.Read(Path.Combine(dir, "c.txt"), "percent"));
            Assert.Equal(new[] { "alpha", "beta" }, DocumentSource.Read(Path.Combine(dir, "d.jsonl")));
            Assert.Equal(new[] { "one", "%", "two", "lines", "%" }, DocumentSource.Read(Path.Combine(dir, "c.txt"), "lines"));
            Assert.Single(DocumentSource.Read(dir, "folder"));
            File.WriteAllText(Path.Combine(dir, "bad.jsonl"), "{\"body\": \"x\"}\n");
            var ex = Assert.Throws<InvalidDataException>(() => DocumentSource.Read(Path.Combine(dir, "bad.jsonl"), "jsonl").ToList());
            Assert.Contains("line 1", ex.Message);
            Assert.Contains("'text'", ex.Message);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
