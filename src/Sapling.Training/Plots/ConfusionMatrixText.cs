using System.Globalization;
using System.Text;

namespace Sapling.Training.Plots;

/// <summary>A confusion matrix as aligned plain text for consoles and logs; rows are true classes, columns predicted.</summary>
public static class ConfusionMatrixText
{
    private const string Corner = "true \\ pred";

    /// <summary>
    /// The table of the square matrix <paramref name="counts"/>; classes are named by <paramref name="classNames"/> or,
    /// without it, by their index.
    /// </summary>
    public static string Render(long[,] counts, IReadOnlyList<string>? classNames = null)
    {
        int n = counts.GetLength(0);
        if (n != counts.GetLength(1)) throw new ArgumentException($"a confusion matrix is square, got {n} x {counts.GetLength(1)}", nameof(counts));
        if (classNames != null && classNames.Count != n) throw new ArgumentException($"{classNames.Count} class names for {n} classes", nameof(classNames));
        var names = new string[n];
        for (int i = 0; i < n; i++) names[i] = classNames?[i] ?? i.ToString(CultureInfo.InvariantCulture);

        int rowHeader = Corner.Length;
        foreach (var name in names) rowHeader = Math.Max(rowHeader, name.Length);
        var columns = new int[n];
        for (int j = 0; j < n; j++)
        {
            columns[j] = names[j].Length;
            for (int i = 0; i < n; i++) columns[j] = Math.Max(columns[j], counts[i, j].ToString(CultureInfo.InvariantCulture).Length);
        }

        var text = new StringBuilder();
        text.Append(Corner.PadLeft(rowHeader));
        for (int j = 0; j < n; j++) text.Append("  ").Append(names[j].PadLeft(columns[j]));
        text.Append('\n');
        for (int i = 0; i < n; i++)
        {
            text.Append(names[i].PadLeft(rowHeader));
            for (int j = 0; j < n; j++) text.Append("  ").Append(counts[i, j].ToString(CultureInfo.InvariantCulture).PadLeft(columns[j]));
            text.Append('\n');
        }
        return text.ToString();
    }
}
