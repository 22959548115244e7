using System.Globalization;
using System.Xml.Linq;

namespace Sapling.Training.Plots;

/// <summary>
/// Small helpers over System.Xml.Linq: building the SVG as an XML tree (rather than concatenating strings) makes the
/// output well-formed and escapes class names and series names for free.
/// </summary>
internal static class Svg
{
    public static readonly XNamespace Ns = "http://www.w3.org/2000/svg";

    public const string Font = "DejaVu Sans, Helvetica, Arial, sans-serif";

    // Layout needs text widths without a font engine; 0.6 em is a safe upper bound for sans-serif digits and letters.
    public static double TextWidth(string text, double fontSize) => text.Length * fontSize * 0.6;

    public static string Num(double v) => Math.Round(v, 2).ToString("0.##", CultureInfo.InvariantCulture);

    public static XElement Root(double width, double height) => new(Ns + "svg",
        new XAttribute("width", Num(width)),
        new XAttribute("height", Num(height)),
        new XAttribute("viewBox", $"0 0 {Num(width)} {Num(height)}"),
        new XAttribute("font-family", Font),
        new XElement(Ns + "rect", new XAttribute("width", "100%"), new XAttribute("height", "100%"), new XAttribute("fill", "white")));

    public static XElement Element(string name, params object[] content) => new(Ns + name, content);

    public static XElement Rect(double x, double y, double width, double height, string fill, string? stroke = null)
    {
        var rect = Element("rect", Attr("x", x), Attr("y", y), Attr("width", width), Attr("height", height), new XAttribute("fill", fill));
        if (stroke != null) rect.Add(new XAttribute("stroke", stroke));
        return rect;
    }

    public static XElement Line(double x1, double y1, double x2, double y2, string stroke, double width = 1)
        => Element("line", Attr("x1", x1), Attr("y1", y1), Attr("x2", x2), Attr("y2", y2),
            new XAttribute("stroke", stroke), Attr("stroke-width", width));

    /// <summary>
    /// Text at (x, y); anchor is start, middle or end; y is the baseline, or with <paramref name="middle"/> the
    /// vertical centre. Centring shifts the baseline by hand: renderers such as librsvg ignore dominant-baseline.
    /// </summary>
    public static XElement Text(string text, double x, double y, double fontSize, string anchor = "start", string fill = "#222", bool middle = false)
        => Element("text", Attr("x", x), Attr("y", middle ? y + 0.36 * fontSize : y), Attr("font-size", fontSize),
            new XAttribute("text-anchor", anchor), new XAttribute("fill", fill), text);

    public static XAttribute Attr(string name, double value) => new(name, Num(value));

    public static string Serialize(XElement root) => new XDocument(new XDeclaration("1.0", "utf-8", null), root).Declaration + "\n" + root.ToString();

    public static void Save(string svg, string path)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (folder != null) Directory.CreateDirectory(folder);
        // Written whole or not at all: a viewer (or a later report) never sees half a drawing.
        Sapling.IO.AtomicFile.WriteAllText(path, svg);
    }
}
