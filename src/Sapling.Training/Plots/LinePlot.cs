using System.Xml.Linq;

namespace Sapling.Training.Plots;

/// <summary>
/// Line charts as SVG: one or more panels stacked over a shared x axis (say loss on top, accuracy below), each with
/// named series, a legend beside it, 1-2-5 ticks and an optional log y axis.
/// <code>
/// var plot = new LinePlot { Title = "Training", XLabel = "epoch" };
/// plot.AddPanel("loss", logY: true).Add("train", trainLoss).Add("validation", valLoss);
/// plot.AddPanel("accuracy").Add("validation", valAccuracy);
/// plot.Save("curves.svg");
/// </code>
/// </summary>
public sealed class LinePlot
{
    private const double TitleFont = 16, LabelFont = 13, TickFont = 11, LegendFont = 12;
    private const double TickLength = 5, LegendRow = 20, LegendSample = 28, PanelGap = 30;

    // Up to this many points a series also gets markers, so a few epochs (or a single one) stay visible.
    private const int MarkerLimit = 30;

    private const double YMargin = 0.04;

    private readonly List<PlotPanel> panels = [];

    /// <summary>The heading above the figure; null draws none.</summary>
    public string? Title { get; set; }

    /// <summary>The label of the shared x axis (drawn under the bottom panel); null draws none.</summary>
    public string? XLabel { get; set; }

    /// <summary>Logarithmic shared x axis (a setting searched on a log scale, say a learning rate); x &lt;= 0 is skipped.</summary>
    public bool LogX { get; set; }

    /// <summary>Width of the whole figure in pixels (grown if the labels leave too little room for the data).</summary>
    public double Width { get; set; } = 760;

    /// <summary>Height of each panel's plotting area in pixels.</summary>
    public double PanelHeight { get; set; } = 260;

    /// <summary>The panels, top to bottom.</summary>
    public IReadOnlyList<PlotPanel> Panels => panels;

    /// <summary>Adds a panel below the existing ones.</summary>
    public PlotPanel AddPanel(string? yLabel = null, bool logY = false)
    {
        var panel = new PlotPanel(yLabel, logY);
        panels.Add(panel);
        return panel;
    }

    /// <summary>Adds a series to the first panel (created if needed).</summary>
    public LinePlot Add(string name, IEnumerable<double> x, IEnumerable<double> y, string? color = null, bool dashed = false)
    {
        FirstPanel().Add(name, x, y, color, dashed);
        return this;
    }

    /// <summary>Adds a series with x = 1, 2, 3... to the first panel (created if needed).</summary>
    public LinePlot Add(string name, IEnumerable<double> y, string? color = null, bool dashed = false)
    {
        FirstPanel().Add(name, y, color, dashed);
        return this;
    }

    /// <summary>
    /// Writes the SVG to <paramref name="path"/>, creating its folder; the file is replaced whole or not at all.
    /// </summary>
    public void Save(string path) => Svg.Save(ToSvg(), path);

    /// <summary>The drawing as SVG text; a plot without panels draws one empty panel.</summary>
    public string ToSvg()
    {
        var drawn = panels.Count > 0 ? panels : [new PlotPanel(null, false)];
        var xAxis = SharedXAxis(drawn, LogX);
        // y gets a margin so extreme points and constant series do not sit on the frame; x (epochs) stays tight.
        var yAxes = drawn.Select(p => { var (lo, hi) = p.YRange(LogX); return p.LogY ? Axis.Logarithmic(lo, hi, YMargin) : Axis.Linear(lo, hi, margin: YMargin); }).ToList();
        var colors = ColorsByName(drawn);

        double tickLabelWidth = yAxes.SelectMany(a => a.Ticks.Select(t => Svg.TextWidth(a.Label(t), TickFont))).DefaultIfEmpty(0).Max();
        double left = 12 + (drawn.Any(p => p.YLabel != null) ? LabelFont + 8 : 0) + tickLabelWidth + TickLength + 4;
        double legendWidth = drawn.SelectMany(p => p.Series).Select(s => Svg.TextWidth(s.Name, LegendFont)).DefaultIfEmpty(0).Max();
        double right = legendWidth > 0 ? 16 + LegendSample + 8 + legendWidth + 12 : 24;
        double width = Math.Max(Width, left + right + 240);
        double plotWidth = width - left - right;

        double top = Title != null ? 40 : 14;
        var blocks = new List<(double Top, double TitleHeight)>();
        double y = top;
        foreach (var p in drawn)
        {
            double titleHeight = p.Title != null ? 22 : 0;
            blocks.Add((y, titleHeight));
            y += titleHeight + PanelHeight + TickFont + 12 + PanelGap;
        }
        double height = y - PanelGap + (XLabel != null ? LabelFont + 14 : 4);

        var svg = Svg.Root(width, height);
        if (Title != null) svg.Add(Svg.Text(Title, width / 2, 26, TitleFont, "middle", "#111"));
        for (int i = 0; i < drawn.Count; i++)
        {
            var (blockTop, titleHeight) = blocks[i];
            if (drawn[i].Title != null) svg.Add(Svg.Text(drawn[i].Title!, left, blockTop + 15, LabelFont, "start", "#111"));
            var area = new Area(left, blockTop + titleHeight, plotWidth, PanelHeight);
            svg.Add(DrawPanel(drawn[i], area, xAxis, yAxes[i], colors));
        }
        if (XLabel != null) svg.Add(Svg.Text(XLabel, left + plotWidth / 2, height - 10, LabelFont, "middle"));
        return Svg.Serialize(svg);
    }

    private readonly record struct Area(double Left, double Top, double Width, double Height)
    {
        public double Bottom => Top + Height;
        public double Right => Left + Width;
    }

    private XElement DrawPanel(PlotPanel panel, Area area, Axis xAxis, Axis yAxis, Dictionary<string, string> colors)
    {
        var g = Svg.Element("g", new XAttribute("class", "panel"));
        g.Add(Svg.Rect(area.Left, area.Top, area.Width, area.Height, "white", "#bbb"));
        foreach (var t in yAxis.Ticks)
        {
            double py = area.Bottom - yAxis.Fraction(t) * area.Height;
            g.Add(Svg.Line(area.Left, py, area.Right, py, "#e6e6e6"));
            g.Add(Svg.Line(area.Left - TickLength, py, area.Left, py, "#555"));
            g.Add(Svg.Text(yAxis.Label(t), area.Left - TickLength - 3, py, TickFont, "end", "#444", middle: true));
        }
        foreach (var t in xAxis.Ticks)
        {
            double px = area.Left + xAxis.Fraction(t) * area.Width;
            g.Add(Svg.Line(px, area.Top, px, area.Bottom, "#e6e6e6"));
            g.Add(Svg.Line(px, area.Bottom, px, area.Bottom + TickLength, "#555"));
            g.Add(Svg.Text(xAxis.Label(t), px, area.Bottom + TickLength + TickFont + 2, TickFont, "middle", "#444"));
        }
        // Re-draw the frame over the grid lines.
        g.Add(Svg.Element("rect", Svg.Attr("x", area.Left), Svg.Attr("y", area.Top), Svg.Attr("width", area.Width), Svg.Attr("height", area.Height),
            new XAttribute("fill", "none"), new XAttribute("stroke", "#888")));
        if (panel.YLabel != null)
        {
            double cx = 12 + LabelFont / 2, cy = area.Top + area.Height / 2;
            var label = Svg.Text(panel.YLabel, cx, cy, LabelFont, "middle", middle: true);
            label.Add(new XAttribute("transform", $"rotate(-90 {Svg.Num(cx)} {Svg.Num(cy)})"));
            g.Add(label);
        }

        for (int s = 0; s < panel.Series.Count; s++)
        {
            var series = panel.Series[s];
            string color = series.Color ?? colors[series.Name];
            g.Add(DrawSeries(series, panel.LogY, LogX, area, xAxis, yAxis, color));
            double ly = area.Top + 10 + s * LegendRow;
            double lx = area.Right + 16;
            var entry = Svg.Element("g", new XAttribute("class", "legend"));
            var sample = series.PointsOnly
                ? Svg.Element("circle", Svg.Attr("cx", lx + LegendSample / 2), Svg.Attr("cy", ly), Svg.Attr("r", 4), new XAttribute("fill", color))
                : Svg.Line(lx, ly, lx + LegendSample, ly, color, 2.5);
            if (series.Dashed) sample.Add(new XAttribute("stroke-dasharray", "6 4"));
            entry.Add(sample);
            entry.Add(Svg.Text(series.Name, lx + LegendSample + 8, ly, LegendFont, "start", "#222", middle: true));
            g.Add(entry);
        }
        return g;
    }

    private static XElement DrawSeries(LineSeries series, bool logY, bool logX, Area area, Axis xAxis, Axis yAxis, string color)
    {
        var points = new System.Text.StringBuilder();
        var markers = new List<(double X, double Y)>();
        for (int i = 0; i < series.X.Length; i++)
        {
            if (!series.IsDrawable(i, logY, logX)) continue;
            double px = area.Left + xAxis.Fraction(series.X[i]) * area.Width;
            double py = area.Bottom - yAxis.Fraction(series.Y[i]) * area.Height;
            if (points.Length > 0) points.Append(' ');
            points.Append(Svg.Num(px)).Append(',').Append(Svg.Num(py));
            markers.Add((px, py));
        }
        var g = Svg.Element("g", new XAttribute("class", "series"), Svg.Element("title", series.Name));
        if (series.PointsOnly)
        {
            foreach (var (mx, my) in markers)
                g.Add(Svg.Element("circle", Svg.Attr("cx", mx), Svg.Attr("cy", my), Svg.Attr("r", 4), new XAttribute("fill", color), new XAttribute("fill-opacity", "0.8")));
            return g;
        }
        var line = Svg.Element("polyline", new XAttribute("points", points.ToString()), new XAttribute("fill", "none"),
            new XAttribute("stroke", color), new XAttribute("stroke-width", "2"), new XAttribute("stroke-linejoin", "round"),
            new XAttribute("stroke-linecap", "round"));
        if (series.Dashed) line.Add(new XAttribute("stroke-dasharray", "6 4"));
        g.Add(line);
        if (markers.Count <= MarkerLimit)
            foreach (var (mx, my) in markers)
                g.Add(Svg.Element("circle", Svg.Attr("cx", mx), Svg.Attr("cy", my), Svg.Attr("r", 3), new XAttribute("fill", color)));
        return g;
    }

    private static Axis SharedXAxis(IReadOnlyList<PlotPanel> drawn, bool logX)
    {
        double min = double.PositiveInfinity, max = double.NegativeInfinity;
        bool integers = true;
        foreach (var p in drawn)
        {
            var (lo, hi) = p.XRange(logX);
            min = Math.Min(min, lo);
            max = Math.Max(max, hi);
            foreach (var s in p.Series)
                for (int i = 0; i < s.X.Length && integers; i++)
                    if (s.IsDrawable(i, p.LogY, logX) && s.X[i] != Math.Floor(s.X[i])) integers = false;
        }
        if (logX) return Axis.Logarithmic(min, max, YMargin);
        // Scattered points need room at the ends like y does; sequences (epochs) stay tight.
        double margin = drawn.Any(p => p.Series.Any(s => s.PointsOnly)) ? YMargin : 0;
        return min <= max ? Axis.Linear(min, max, integers, margin) : Axis.Linear(double.NaN, double.NaN);
    }

    /// <summary>One colour per series name across panels, so "validation" looks the same in the loss and accuracy panels.</summary>
    private static Dictionary<string, string> ColorsByName(IReadOnlyList<PlotPanel> drawn)
    {
        var colors = new Dictionary<string, string>();
        foreach (var p in drawn)
            foreach (var s in p.Series)
                colors.TryAdd(s.Name, Palette.SeriesColor(colors.Count));
        return colors;
    }

    private PlotPanel FirstPanel() => panels.Count > 0 ? panels[0] : AddPanel();
}
