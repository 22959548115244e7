namespace Sapling.Data.Tests;

/// <summary>CSV fields as RFC 4180 reads them (plus trimming of the spaces around a field), and the refusals.</summary>
public class CsvLineTests
{
    [Theory]
    [InlineData("1,2,cat", new[] { "1", "2", "cat" })]
    [InlineData(" 1 , 2 ,cat ", new[] { "1", "2", "cat" })]
    [InlineData("1,2,\"cats, big\"", new[] { "1", "2", "cats, big" })]
    [InlineData("\"say \"\"hi\"\"\",x", new[] { "say \"hi\"", "x" })]
    [InlineData("1,,3,", new[] { "1", "", "3", "" })]
    [InlineData("\"\",2", new[] { "", "2" })]
    [InlineData("", new[] { "" })]
    public void FieldsAreSplitAsRfc4180Says(string line, string[] fields) => Assert.Equal(fields, CsvLine.Split(line));

    [Fact]
    public void AnotherSeparatorWorksTheSame() => Assert.Equal(new[] { "a;b", "c" }, CsvLine.Split("\"a;b\";c", ';'));

    [Theory]
    [InlineData("1,\"open", "not closed")]
    [InlineData("\"a\"b,c", "after the closing quote")]
    public void MalformedQuotesAreRefused(string line, string message) =>
        Assert.Contains(message, Assert.Throws<FormatException>(() => CsvLine.Split(line)).Message);

    [Theory]
    [InlineData("cat")]
    [InlineData("cats, big")]
    [InlineData("say \"hi\"")]
    [InlineData(" padded ")]
    [InlineData("")]
    public void AQuotedFieldIsReadBackUnchanged(string field)
    {
        Assert.Equal(new[] { field, "x" }, CsvLine.Split(CsvLine.Quote(field) + ",x"));
        if (field == "cat") Assert.Equal("cat", CsvLine.Quote(field));
    }

    [Fact]
    public void ATableKeepsAQuotedLabelWithTheSeparatorWhole()
    {
        var path = Path.GetTempFileName();
        File.WriteAllText(path, "a,b,kind\n1,2,\"cat, big\"\n3,4,dog\n");
        try
        {
            var table = CsvTable.Read(path);
            Assert.Equal(new[] { "cat, big", "dog" }, table.ClassNames);
            File.WriteAllText(path, "1,2,\"cat\n");
            var e = Assert.Throws<InvalidDataException>(() => CsvTable.Read(path));
            Assert.Contains("line 1", e.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
