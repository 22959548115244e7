using System.Xml.Linq;
using Sapling.Training.Plots;

namespace Sapling.Training.Tests.Plots;

public class LinePlotTests
{
    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";

    internal static LinePlot TrainingCurves()
    {
        double[] train = [2.31, 1.62, 1.21, 0.98, 0.83, 0.71, 0.62, 0.55, 0.49, 0.44, 0.40, 0.37];
        double[] validation = [2.05, 1.55, 1.26, 1.08, 0.97, 0.93, 0.90, 0.89, 0.90, 0.92, 0.95, 0.99];
        double[] accuracy = [0.31, 0.47, 0.58, 0.64, 0.68, 0.70, 0.715, 0.72, 0.722, 0.719, 0.716, 0.71];
        var plot = new LinePlot { Title = "Cats vs dogs: training curves", XLabel = "epoch" };
        plot.AddPanel("cross-entropy loss", logY: true).Add("train", train).Add("validation", validation, dashed: true);
        plot.AddPanel("accuracy").Add("validation", accuracy);
        return plot;
    }

    [Fact]
    public void SvgIsWellFormedWithOnePolylinePerSeriesAndALegend()
    {
        var doc = XDocument.Parse(TrainingCurves().ToSvg());
        Assert.Equal(Svg + "svg", doc.Root!.Name);
        Assert.Equal(3, doc.Descendants(Svg + "polyline").Count());
        var legend = doc.Descendants(Svg + "g").Where(g => (string?)g.Attribute("class") == "legend").Select(g => g.Value).ToList();
        Assert.Equal(["train", "validation", "validation"], legend);
        var texts = doc.Descendants(Svg + "text").Select(t => t.Value).ToList();
        Assert.Contains("Cats vs dogs: training curves", texts);
        Assert.Contains("accuracy", texts);
        Assert.Contains("epoch", texts);
    }

    [Fact]
    public void SharedSeriesNamesKeepTheirColourAcrossPanels()
    {
        var doc = XDocument.Parse(TrainingCurves().ToSvg());
        var strokes = doc.Descendants(Svg + "polyline").Select(p => (string)p.Attribute("stroke")!).ToList();
        Assert.NotEqual(strokes[0], strokes[1]);
        Assert.Equal(strokes[1], strokes[2]);
    }

    [Fact]
    public void NonFinitePointsAreSkipped()
    {
        var plot = new LinePlot().Add("loss", [1, 2, 3, 4, 5], [1.0, double.NaN, double.PositiveInfinity, 0.5, double.NegativeInfinity]);
        var doc = XDocument.Parse(plot.ToSvg());
        var points = ((string)doc.Descendants(Svg + "polyline").Single().Attribute("points")!).Split(' ');
        Assert.Equal(2, points.Length);
        Assert.DoesNotContain("NaN", plot.ToSvg());
        Assert.DoesNotContain("Infinity", plot.ToSvg());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void DegenerateSeriesDoNotBreakTheAxes(bool logY)
    {
        var plot = new LinePlot();
        var panel = plot.AddPanel("y", logY);
        panel.Add("single point", [3.0], [0.25]);
        panel.Add("constant", [1.0, 2, 3], [0.25, 0.25, 0.25]);
        panel.Add("empty", Array.Empty<double>());
        panel.Add("all missing", [double.NaN, double.NaN]);
        panel.Add("zero", [0.0, 0, 0]);
        var svg = plot.ToSvg();
        var doc = XDocument.Parse(svg);
        Assert.Equal(5, doc.Descendants(Svg + "polyline").Count());
        Assert.DoesNotContain("NaN", svg);
        Assert.DoesNotContain("Infinity", svg);
    }

    [Fact]
    public void EmptyPlotAndNegativeConstantsRender()
    {
        XDocument.Parse(new LinePlot().ToSvg());
        XDocument.Parse(new LinePlot().Add("c", [-3.0, -3.0]).ToSvg());
        XDocument.Parse(new LinePlot().Add("tiny", [1e-9, 2e-9, 3e-9]).ToSvg());
        XDocument.Parse(new LinePlot().Add("huge", [1e8, 5e8]).ToSvg());
        var log = new LinePlot { Title = "log" };
        log.AddPanel(logY: true).Add("decades", [1e-6, 1e-3, 1, 1e3]);
        XDocument.Parse(log.ToSvg());
    }

    [Fact]
    public void NamesAreEscaped()
    {
        var svg = new LinePlot { Title = "a < b & \"c\"" }.Add("x<y>", [1.0, 2.0]).ToSvg();
        var doc = XDocument.Parse(svg);
        Assert.Contains("x<y>", doc.Descendants(Svg + "text").Select(t => t.Value));
    }

    [Fact]
    public void MismatchedLengthsAreAnError()
        => Assert.Throws<ArgumentException>(() => new LinePlot().Add("bad", [1.0, 2.0], [1.0]));

    [Fact]
    public void SaveWritesTheSvg()
    {
        var path = Path.Combine(Path.GetTempPath(), $"sapling-lineplot-{Guid.NewGuid():N}", "curves.svg");
        try
        {
            TrainingCurves().Save(path);
            XDocument.Load(path);
        }
        finally { Directory.Delete(Path.GetDirectoryName(path)!, recursive: true); }
    }

    [Fact]
    public void PointsOnlySeriesDrawMarkersWithoutALine()
    {
        var plot = new LinePlot();
        plot.AddPanel("loss").AddPoints("trials", [0.1, 0.3, 0.2], [1.0, 2.0, 1.5]).Add("trend", [0.1, 0.3], [1.0, 2.0]);
        var doc = XDocument.Parse(plot.ToSvg());
        var series = doc.Descendants(Svg + "g").Where(g => (string?)g.Attribute("class") == "series").ToList();
        Assert.Empty(series[0].Elements(Svg + "polyline"));
        Assert.Equal(3, series[0].Elements(Svg + "circle").Count());
        Assert.Single(series[1].Elements(Svg + "polyline"));
    }

    [Fact]
    public void LogXSpacesDecadesEquallyAndSkipsNonPositiveX()
    {
        var plot = new LinePlot { LogX = true };
        plot.AddPanel().AddPoints("lr", [1e-4, 1e-3, 1e-2, 0], [1, 2, 3, 4]);
        var doc = XDocument.Parse(plot.ToSvg());
        var xs = doc.Descendants(Svg + "g").Where(g => (string?)g.Attribute("class") == "series").SelectMany(g => g.Elements(Svg + "circle")).Select(c => double.Parse((string)c.Attribute("cx")!, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(3, xs.Count);
        Assert.Equal(xs[1] - xs[0], xs[2] - xs[1], 3);
    }
}
