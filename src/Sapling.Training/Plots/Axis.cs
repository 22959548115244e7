using System.Globalization;

namespace Sapling.Training.Plots;

/// <summary>
/// A data range rounded out to "nice" limits with tick values on 1-2-5 steps (linear) or at 1, 2, 5 x 10^k (log).
/// Degenerate ranges (no data, one point, a constant series) are widened, so mapping never divides by zero.
/// </summary>
internal sealed class Axis
{
    private const int TargetTicks = 6;

    public double Min { get; }
    public double Max { get; }
    public bool Log { get; }
    public IReadOnlyList<double> Ticks { get; }
    private readonly int decimals;

    private Axis(double min, double max, bool log, List<double> ticks, int decimals)
    {
        Min = min; Max = max; Log = log; Ticks = ticks; this.decimals = decimals;
    }

    /// <summary>Position of <paramref name="value"/> in [0, 1] along the axis.</summary>
    public double Fraction(double value) => Log
        ? (Math.Log10(value) - Math.Log10(Min)) / (Math.Log10(Max) - Math.Log10(Min))
        : (value - Min) / (Max - Min);

    public string Label(double tick)
    {
        if (Log) return LogLabel(tick);
        double a = Math.Abs(tick);
        if (a != 0 && (a >= 1e6 || a < 1e-4)) return tick.ToString("0.##E+0", CultureInfo.InvariantCulture);
        var text = tick.ToString("F" + decimals, CultureInfo.InvariantCulture);
        return text.StartsWith('-') && double.Parse(text, CultureInfo.InvariantCulture) == 0 ? text[1..] : text;
    }

    /// <summary>
    /// A linear axis covering [min, max]; NaN bounds (no data) give [0, 1]. With <paramref name="integerSteps"/>
    /// (epochs, steps) ticks are never fractional. Without a margin the limits round out to the nearest ticks; with one
    /// they are the data range widened by that fraction of its span on each side, ticks falling inside (as matplotlib
    /// does), so 0..1 accuracies do not get an axis from -0.2 to 1.2.
    /// </summary>
    public static Axis Linear(double min, double max, bool integerSteps = false, double margin = 0)
    {
        if (!double.IsFinite(min) || !double.IsFinite(max)) (min, max) = (0, 1);
        double span = max - min;
        if (span == 0 || span <= 1e-12 * Math.Max(Math.Abs(min), Math.Abs(max)))
        {
            // A constant series: centre it in a band a tenth of its size (or ±1 around zero).
            double pad = min == 0 ? 1 : Math.Abs(min) * 0.1;
            (min, max) = (min - pad, max + pad);
        }
        else (min, max) = (min - margin * span, max + margin * span);
        double step = NiceStep((max - min) / TargetTicks);
        if (integerSteps) step = Math.Max(step, 1);
        double first = Math.Floor(min / step), last = Math.Ceiling(max / step);
        double lo = first * step, hi = last * step;
        if (margin > 0)
        {
            (lo, hi) = (min, max);
            first = Math.Ceiling(min / step);
            last = Math.Floor(max / step);
        }
        int decimals = Math.Max(0, -(int)Math.Floor(Math.Log10(step) + 1e-9));
        var ticks = new List<double>();
        // Ticks are i*step rounded to the step's decimals, so 0.1+0.2 prints and places as 0.3.
        for (double i = first; i <= last; i++) ticks.Add(Math.Round(i * step, Math.Min(decimals + 2, 15)));
        return new Axis(lo, hi, log: false, ticks, decimals);
    }

    /// <summary>
    /// A log axis over the positive range [min, max]; no positive data gives [1, 10]. Ticks sit on 1, 2, 5 x 10^k over
    /// a few decades and on powers of ten over many. Limits follow the same rule as <see cref="Linear"/>, a margin being
    /// a fraction of the decades spanned; when the padded range would hold fewer than two ticks, they round out.
    /// </summary>
    public static Axis Logarithmic(double min, double max, double margin = 0)
    {
        if (!double.IsFinite(min) || !double.IsFinite(max) || min <= 0 || max <= 0) (min, max) = (1, 10);
        if (min == max) (min, max) = (min / 2, max * 2);
        double widen = Math.Pow(10, margin * Math.Log10(max / min));
        (min, max) = (min / widen, max * widen);
        int loDecade = (int)Math.Floor(Math.Log10(min)), hiDecade = (int)Math.Ceiling(Math.Log10(max));
        var candidates = new List<double>();
        if (hiDecade - loDecade > 3)
        {
            int stride = Math.Max(1, (int)Math.Ceiling((hiDecade - loDecade) / (double)TargetTicks));
            for (int e = loDecade; e <= hiDecade; e += stride) candidates.Add(Math.Pow(10, e));
            if (candidates[^1] < max) candidates.Add(Math.Pow(10, loDecade + stride * candidates.Count));
        }
        else
        {
            for (int e = loDecade; e <= hiDecade; e++)
                foreach (var m in new[] { 1.0, 2.0, 5.0 }) candidates.Add(m * Math.Pow(10, e));
        }
        var inside = candidates.Where(c => c >= min * (1 - 1e-12) && c <= max * (1 + 1e-12)).ToList();
        if (margin > 0 && inside.Count >= 2) return new Axis(min, max, log: true, inside, 0);
        double lo = candidates.Last(c => c <= min * (1 + 1e-12));
        double hi = candidates.First(c => c >= max * (1 - 1e-12));
        if (lo == hi) hi = candidates.First(c => c > lo);
        return new Axis(lo, hi, log: true, candidates.Where(c => c >= lo && c <= hi).ToList(), 0);
    }

    private static double NiceStep(double raw)
    {
        double magnitude = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        double f = raw / magnitude;
        double nice = f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10;
        return nice * magnitude;
    }

    private static string LogLabel(double tick)
    {
        int exponent = (int)Math.Floor(Math.Log10(tick) + 1e-9);
        if (exponent >= -3 && exponent <= 5)
            return Math.Round(tick, Math.Max(0, -exponent)).ToString("0.###", CultureInfo.InvariantCulture);
        double mantissa = Math.Round(tick / Math.Pow(10, exponent));
        return mantissa == 1 ? $"1e{exponent}" : string.Create(CultureInfo.InvariantCulture, $"{mantissa}e{exponent}");
    }
}
