using System.Globalization;
using System.Xml.Linq;

namespace Sapling.Training.Plots;

/// <summary>
/// A confusion matrix as an SVG heat-map: rows are true classes, columns predicted ones, each cell shows its count
/// (white on dark cells), with a colour bar. <see cref="Normalize"/> colours each row by its share of that class's
/// samples, so rare classes are as readable as common ones; the cells then also show the percentage.
/// </summary>
public sealed class ConfusionMatrixPlot
{
    private const double TitleFont = 16, LabelFont = 13, NameFont = 12;

    // Below this cell size the numbers would not fit; the colours alone carry the matrix.
    private const double MinCellForText = 18;

    private readonly long[,] counts;
    private readonly string[] names;

    /// <param name="counts">Counts[i, j] = samples of true class i predicted as j, as Metrics.ConfusionMatrix returns.</param>
    /// <param name="classNames">Name of each class; the class index when absent.</param>
    public ConfusionMatrixPlot(long[,] counts, IReadOnlyList<string>? classNames = null)
    {
        int n = counts.GetLength(0);
        if (n != counts.GetLength(1)) throw new ArgumentException($"a confusion matrix is square, got {n} x {counts.GetLength(1)}", nameof(counts));
        if (classNames != null && classNames.Count != n) throw new ArgumentException($"{classNames.Count} class names for {n} classes", nameof(classNames));
        this.counts = counts;
        names = new string[n];
        for (int i = 0; i < n; i++) names[i] = classNames?[i] ?? i.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>The heading above the matrix; null draws none.</summary>
    public string? Title { get; set; } = "Confusion matrix";

    /// <summary>Colour by row share (recall per cell) instead of by raw count.</summary>
    public bool Normalize { get; set; }

    /// <summary>Side of a cell in pixels; by default it shrinks with the number of classes (60 px down to 14 px).</summary>
    public double? CellSize { get; set; }

    /// <summary>The x-axis label, naming the predicted classes along the columns.</summary>
    public string XLabel { get; set; } = "Predicted";

    /// <summary>The y-axis label, naming the true classes along the rows.</summary>
    public string YLabel { get; set; } = "True";

    /// <summary>
    /// Writes the SVG to <paramref name="path"/>, creating its folder; the file is replaced whole or not at all.
    /// </summary>
    public void Save(string path) => Svg.Save(ToSvg(), path);

    /// <summary>The drawing as SVG text.</summary>
    public string ToSvg()
    {
        int n = names.Length;
        double cell = CellSize ?? Math.Clamp(560.0 / Math.Max(n, 1), 14, 60);
        double gridSize = cell * n;
        double nameWidth = names.Select(s => Svg.TextWidth(s, NameFont)).DefaultIfEmpty(0).Max();
        // Column names are turned 45 degrees when they would not fit under their cell.
        bool rotate = nameWidth > cell - 6;
        double columnNameHeight = rotate ? nameWidth * 0.71 + NameFont : NameFont + 6;

        double left = 14 + LabelFont + 10 + nameWidth + 8;
        double top = Title != null ? 44 : 14;
        double barLeft = left + gridSize + 20, barWidth = 14;
        double maxLabelWidth = Svg.TextWidth(Normalize ? "100%" : Max().ToString(CultureInfo.InvariantCulture), NameFont);
        double width = Math.Max(barLeft + barWidth + 8 + maxLabelWidth + 14, Title != null ? Svg.TextWidth(Title, TitleFont) + 40 : 0);
        double height = top + gridSize + 6 + columnNameHeight + 8 + LabelFont + 12;

        var svg = Svg.Root(width, height);
        if (Title != null) svg.Add(Svg.Text(Title, left + gridSize / 2, 28, TitleFont, "middle", "#111"));
        svg.Add(Cells(left, top, cell));
        svg.Add(Svg.Rect(left, top, gridSize, gridSize, "none", "#888"));

        for (int i = 0; i < n; i++)
        {
            double center = i * cell + cell / 2;
            svg.Add(Svg.Text(names[i], left - 8, top + center, NameFont, "end", "#222", middle: true));
            if (rotate)
            {
                double x = left + center, y = top + gridSize + 8;
                var label = Svg.Text(names[i], x, y, NameFont, "end", "#222", middle: true);
                label.Add(new XAttribute("transform", $"rotate(-45 {Svg.Num(x)} {Svg.Num(y)})"));
                svg.Add(label);
            }
            else svg.Add(Svg.Text(names[i], left + center, top + gridSize + 6 + NameFont, NameFont, "middle"));
        }

        double yLabelX = 14 + LabelFont / 2, yLabelY = top + gridSize / 2;
        var yLabel = Svg.Text(YLabel, yLabelX, yLabelY, LabelFont, "middle", middle: true);
        yLabel.Add(new XAttribute("transform", $"rotate(-90 {Svg.Num(yLabelX)} {Svg.Num(yLabelY)})"));
        svg.Add(yLabel);
        svg.Add(Svg.Text(XLabel, left + gridSize / 2, height - 12, LabelFont, "middle"));
        svg.Add(ColorBar(barLeft, top, barWidth, gridSize));
        return Svg.Serialize(svg);
    }

    private XElement Cells(double left, double top, double cell)
    {
        int n = names.Length;
        long max = Max();
        bool text = cell >= MinCellForText;
        bool percentLine = Normalize && cell >= 44;
        double font = Math.Clamp(cell * 0.28, 8, 15);
        var g = Svg.Element("g", new XAttribute("class", "cells"));
        for (int i = 0; i < n; i++)
        {
            long rowTotal = 0;
            for (int j = 0; j < n; j++) rowTotal += counts[i, j];
            for (int j = 0; j < n; j++)
            {
                long count = counts[i, j];
                // An empty row (class never seen) has no shares: it stays white rather than dividing by zero.
                double share = rowTotal == 0 ? 0 : (double)count / rowTotal;
                double t = Normalize ? share : max == 0 ? 0 : (double)count / max;
                double x = left + j * cell, y = top + i * cell;
                g.Add(Svg.Rect(x, y, cell, cell, Palette.Blue(t)));
                if (!text) continue;
                string ink = Palette.TextOn(t);
                string countText = count.ToString(CultureInfo.InvariantCulture);
                if (percentLine)
                {
                    g.Add(Svg.Text(countText, x + cell / 2, y + cell / 2 - font * 0.45, font, "middle", ink, middle: true));
                    g.Add(Svg.Text(Percent(share), x + cell / 2, y + cell / 2 + font * 0.65, font * 0.75, "middle", ink, middle: true));
                }
                else
                {
                    double size = Math.Min(font, (cell - 4) / (0.6 * Math.Max(countText.Length, 1)));
                    g.Add(Svg.Text(countText, x + cell / 2, y + cell / 2, size, "middle", ink, middle: true));
                }
            }
        }
        return g;
    }

    private XElement ColorBar(double x, double y, double width, double height)
    {
        var g = Svg.Element("g", new XAttribute("class", "colorbar"));
        var gradient = Svg.Element("linearGradient", new XAttribute("id", "cm-scale"),
            new XAttribute("x1", "0"), new XAttribute("y1", "1"), new XAttribute("x2", "0"), new XAttribute("y2", "0"));
        foreach (var (offset, color) in Palette.BlueStops())
            gradient.Add(Svg.Element("stop", new XAttribute("offset", Svg.Num(offset)), new XAttribute("stop-color", color)));
        g.Add(Svg.Element("defs", gradient));
        g.Add(Svg.Rect(x, y, width, height, "url(#cm-scale)", "#888"));
        string high = Normalize ? "100%" : Max().ToString(CultureInfo.InvariantCulture);
        g.Add(Svg.Text(high, x + width + 6, y + 6, NameFont, "start", "#444", middle: true));
        g.Add(Svg.Text(Normalize ? "0%" : "0", x + width + 6, y + height - 6, NameFont, "start", "#444", middle: true));
        return g;
    }

    private long Max()
    {
        long max = 0;
        foreach (var c in counts) max = Math.Max(max, c);
        return max;
    }

    // Whole percents, except near 0 and 100 where rounding would hide that a class is not quite perfect (or not quite absent).
    private static string Percent(double share)
    {
        double percent = share * 100;
        return percent.ToString(percent >= 10 && percent <= 99 ? "0" : "0.#", CultureInfo.InvariantCulture) + "%";
    }
}
