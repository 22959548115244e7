namespace Sapling.Training.Plots;

/// <summary>One set of axes in a <see cref="LinePlot"/>: its series, y label and y scale. Panels share the x axis.</summary>
public sealed class PlotPanel
{
    private readonly List<LineSeries> series = [];

    internal PlotPanel(string? yLabel, bool logY)
    {
        YLabel = yLabel;
        LogY = logY;
    }

    /// <summary>A heading drawn above the panel; null draws none.</summary>
    public string? Title { get; set; }

    /// <summary>The y-axis label; null draws none.</summary>
    public string? YLabel { get; set; }

    /// <summary>Logarithmic y axis; points with y &lt;= 0 are then skipped like NaN.</summary>
    public bool LogY { get; set; }

    /// <summary>The curves, in the order added.</summary>
    public IReadOnlyList<LineSeries> Series => series;

    /// <summary>Adds a curve through (x[i], y[i]).</summary>
    public PlotPanel Add(string name, IEnumerable<double> x, IEnumerable<double> y, string? color = null, bool dashed = false)
    {
        var xs = x.ToArray();
        var ys = y.ToArray();
        if (xs.Length != ys.Length) throw new ArgumentException($"series '{name}' has {xs.Length} x values but {ys.Length} y values", nameof(y));
        series.Add(new LineSeries(name, xs, ys, color, dashed));
        return this;
    }

    /// <summary>Adds unconnected points (x[i], y[i]): a scatter, for values that are not a sequence.</summary>
    public PlotPanel AddPoints(string name, IEnumerable<double> x, IEnumerable<double> y, string? color = null)
    {
        Add(name, x, y, color);
        series[^1] = series[^1] with { PointsOnly = true };
        return this;
    }

    /// <summary>Adds a curve with x = 1, 2, 3... (epochs, counted from 1).</summary>
    public PlotPanel Add(string name, IEnumerable<double> y, string? color = null, bool dashed = false)
    {
        var ys = y.ToArray();
        var xs = new double[ys.Length];
        for (int i = 0; i < xs.Length; i++) xs[i] = i + 1;
        series.Add(new LineSeries(name, xs, ys, color, dashed));
        return this;
    }

    internal (double Min, double Max) YRange(bool logX = false)
    {
        double min = double.PositiveInfinity, max = double.NegativeInfinity;
        foreach (var s in series)
            for (int i = 0; i < s.Y.Length; i++)
                if (s.IsDrawable(i, LogY, logX)) { min = Math.Min(min, s.Y[i]); max = Math.Max(max, s.Y[i]); }
        return min <= max ? (min, max) : (double.NaN, double.NaN);
    }

    internal (double Min, double Max) XRange(bool logX = false)
    {
        double min = double.PositiveInfinity, max = double.NegativeInfinity;
        foreach (var s in series)
            for (int i = 0; i < s.X.Length; i++)
                if (s.IsDrawable(i, LogY, logX)) { min = Math.Min(min, s.X[i]); max = Math.Max(max, s.X[i]); }
        return (min, max);
    }
}
