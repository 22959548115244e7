using System.Globalization;

namespace Sapling.Training.Evaluation;

/// <summary>
/// Python's <c>format(x, ".Nf")</c>. .NET rounds an exact decimal tie away from zero (0.125 -> "0.13") while Python
/// rounds it to even ("0.12"); metrics such as 1/8 hit those ties, so they are handled here.
/// </summary>
internal static class PythonFormat
{
    public static string Fixed(double value, int digits)
    {
        if (double.IsNaN(value)) return "nan";
        if (double.IsInfinity(value)) return value > 0 ? "inf" : "-inf";
        string format = "F" + digits.ToString(CultureInfo.InvariantCulture);
        // A tie at `digits` decimals is odd / 2^(digits+1) exactly (5^digits divides out), and scaling by 2 is exact.
        double scaled = Math.ScaleB(value, digits + 1);
        if (Math.Abs(scaled) < 1e15 && scaled == Math.Floor(scaled) && Math.Abs(scaled % 2) == 1)
        {
            decimal tie = (decimal)scaled * Pow(5, digits) / 2m; // exact: n + 0.5 scaled to `digits` decimals
            decimal rounded = Math.Round(tie, MidpointRounding.ToEven) / Pow(10, digits);
            return rounded.ToString(format, CultureInfo.InvariantCulture);
        }
        return value.ToString(format, CultureInfo.InvariantCulture);
    }

    private static decimal Pow(int b, int e)
    {
        decimal r = 1;
        for (int i = 0; i < e; i++) r *= b;
        return r;
    }
}
