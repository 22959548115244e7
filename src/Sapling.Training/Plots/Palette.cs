using System.Globalization;

namespace Sapling.Training.Plots;

/// <summary>Colours: matplotlib's tab10 for series, its "Blues" map for heat-maps.</summary>
internal static class Palette
{
    private static readonly string[] Series =
        ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];

    private static readonly (double R, double G, double B)[] Blues =
    [
        (0xf7, 0xfb, 0xff), (0xde, 0xeb, 0xf7), (0xc6, 0xdb, 0xef), (0x9e, 0xca, 0xe1), (0x6b, 0xae, 0xd6),
        (0x42, 0x92, 0xc6), (0x21, 0x71, 0xb5), (0x08, 0x51, 0x9c), (0x08, 0x30, 0x6b),
    ];

    public static string SeriesColor(int index) => Series[index % Series.Length];

    /// <summary>Colour of <paramref name="t"/> in [0, 1] on the Blues map.</summary>
    public static string Blue(double t) => Hex(BlueRgb(t));

    /// <summary>White text reads better on the darker half of the map (relative luminance below ~0.45).</summary>
    public static string TextOn(double t)
    {
        var (r, g, b) = BlueRgb(t);
        double luminance = (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255;
        return luminance < 0.45 ? "white" : "#222";
    }

    /// <summary>The Blues stops as SVG gradient stops, for a colour bar.</summary>
    public static IEnumerable<(double Offset, string Color)> BlueStops()
    {
        for (int i = 0; i < Blues.Length; i++) yield return ((double)i / (Blues.Length - 1), Hex(Blues[i]));
    }

    private static (double R, double G, double B) BlueRgb(double t)
    {
        t = double.IsNaN(t) ? 0 : Math.Clamp(t, 0, 1);
        double pos = t * (Blues.Length - 1);
        int i = Math.Min((int)pos, Blues.Length - 2);
        double f = pos - i;
        var (a, b) = (Blues[i], Blues[i + 1]);
        return (a.R + (b.R - a.R) * f, a.G + (b.G - a.G) * f, a.B + (b.B - a.B) * f);
    }

    private static string Hex((double R, double G, double B) c)
        => string.Create(CultureInfo.InvariantCulture, $"#{(int)Math.Round(c.R):x2}{(int)Math.Round(c.G):x2}{(int)Math.Round(c.B):x2}");
}
