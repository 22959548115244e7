using System.Xml.Linq;
using Sapling.Training.Plots;

namespace Sapling.Training.Tests.Plots;

public class ConfusionMatrixPlotTests
{
    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";

    internal static readonly string[] Names = ["cat", "dog", "bird", "horse (rare)"];

    internal static readonly long[,] Counts = { { 50, 2, 0, 1 }, { 3, 41, 6, 0 }, { 0, 1, 1049, 0 }, { 2, 0, 0, 7 } };

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void SvgShowsEveryCountAndEveryClassName(bool normalize)
    {
        var svg = new ConfusionMatrixPlot(Counts, Names) { Normalize = normalize, Title = "Validation" }.ToSvg();
        var texts = XDocument.Parse(svg).Descendants(Svg + "text").Select(t => t.Value).ToList();
        foreach (var count in Counts) Assert.Contains(count.ToString(), texts);
        foreach (var name in Names) Assert.Equal(2, texts.Count(t => t == name));
        Assert.Contains("Validation", texts);
        Assert.Contains("Predicted", texts);
        Assert.Equal(16, XDocument.Parse(svg).Descendants(Svg + "g").Single(g => (string?)g.Attribute("class") == "cells").Elements(Svg + "rect").Count());
    }

    [Fact]
    public void DarkCellsGetWhiteText()
    {
        var doc = XDocument.Parse(new ConfusionMatrixPlot(Counts, Names).ToSvg());
        var cells = doc.Descendants(Svg + "g").Single(g => (string?)g.Attribute("class") == "cells");
        Assert.Equal("white", (string?)cells.Elements(Svg + "text").Single(t => t.Value == "1049").Attribute("fill"));
        Assert.NotEqual("white", (string?)cells.Elements(Svg + "text").First(t => t.Value == "0").Attribute("fill"));
    }

    [Fact]
    public void EdgeCasesRender()
    {
        XDocument.Parse(new ConfusionMatrixPlot(new long[2, 2]) { Normalize = true }.ToSvg());
        XDocument.Parse(new ConfusionMatrixPlot(new long[,] { { 5 } }).ToSvg());
        XDocument.Parse(new ConfusionMatrixPlot(new long[0, 0]) { Title = null }.ToSvg());
        var big = new long[100, 100];
        for (int i = 0; i < 100; i++) big[i, i] = i;
        XDocument.Parse(new ConfusionMatrixPlot(big) { Normalize = true }.ToSvg());
    }

    [Fact]
    public void BadShapesAreErrors()
    {
        Assert.Throws<ArgumentException>(() => new ConfusionMatrixPlot(new long[2, 3]));
        Assert.Throws<ArgumentException>(() => new ConfusionMatrixPlot(new long[2, 2], ["one"]));
    }

    [Fact]
    public void TextRendererAlignsColumns()
    {
        var text = ConfusionMatrixText.Render(Counts, Names);
        var lines = text.TrimEnd('\n').Split('\n');
        Assert.Equal(5, lines.Length);
        Assert.All(lines, l => Assert.Equal(lines[0].Length, l.Length));
        Assert.StartsWith("true \\ pred", lines[0].TrimStart());
        Assert.Contains(" 1049 ", lines[3]);
        Assert.Equal("true \\ pred  0  1\n          0  1  2\n          1  3  4\n", ConfusionMatrixText.Render(new long[,] { { 1, 2 }, { 3, 4 } }));
    }
}
