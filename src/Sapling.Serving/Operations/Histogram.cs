using System.Globalization;
using System.Text;

namespace Sapling.Serving.Operations;

/// <summary>A Prometheus histogram: cumulative counts per upper bound, plus the sum and count of observations.</summary>
public sealed class Histogram(string name, string help, double[] bounds)
{
    private readonly long[] counts = new long[bounds.Length + 1];
    private double sum;
    private long count;

    /// <summary>Counts <paramref name="value"/> in the first bucket whose upper bound it does not exceed.</summary>
    public void Observe(double value)
    {
        lock (counts)
        {
            int i = 0;
            while (i < bounds.Length && value > bounds[i]) i++;
            counts[i]++;
            sum += value;
            count++;
        }
    }

    /// <summary>The number of observations so far.</summary>
    public long Count
    {
        get
        {
            lock (counts) return count;
        }
    }

    /// <summary>Writes the series; <paramref name="labels"/> (already formatted, e.g. route="/v1/models") go on every line.</summary>
    public void Write(StringBuilder text, string labels = "", bool header = true)
    {
        if (header)
        {
            text.Append("# HELP ").Append(name).Append(' ').Append(help).Append('\n');
            text.Append("# TYPE ").Append(name).Append(" histogram\n");
        }
        string prefix = labels.Length > 0 ? labels + "," : "";
        lock (counts)
        {
            long cumulative = 0;
            for (int i = 0; i < bounds.Length; i++)
            {
                cumulative += counts[i];
                text.Append(name).Append("_bucket{").Append(prefix).Append("le=\"").Append(bounds[i].ToString(CultureInfo.InvariantCulture)).Append("\"} ").Append(cumulative).Append('\n');
            }
            cumulative += counts[^1];
            text.Append(name).Append("_bucket{").Append(prefix).Append("le=\"+Inf\"} ").Append(cumulative).Append('\n');
            string braces = labels.Length > 0 ? "{" + labels + "}" : "";
            text.Append(name).Append("_sum").Append(braces).Append(' ').Append(sum.ToString("R", CultureInfo.InvariantCulture)).Append('\n');
            text.Append(name).Append("_count").Append(braces).Append(' ').Append(count).Append('\n');
        }
    }
}
