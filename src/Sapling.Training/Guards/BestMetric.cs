namespace Sapling.Training.Guards;

/// <summary>
/// Which of two monitored figures is better, with NaN (a diverged or broken evaluation) never better than anything:
/// one rule for every trainer's best-model choice.
/// </summary>
public static class BestMetric
{
    /// <summary>Whether <paramref name="metric"/> improves on <paramref name="best"/> (NaN when nothing was kept yet).</summary>
    public static bool Improves(double metric, double best, bool lowerIsBetter) =>
        !double.IsNaN(metric) && (double.IsNaN(best) || (lowerIsBetter ? metric < best : metric > best));

    /// <summary>Whether the kept best (<paramref name="best"/>) should replace the last model (<paramref name="last"/>) as the result.</summary>
    public static bool KeepsBest(double best, double last, bool lowerIsBetter) =>
        !double.IsNaN(best) && (double.IsNaN(last) || (lowerIsBetter ? best < last : best > last));
}
