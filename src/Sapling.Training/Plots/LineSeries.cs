namespace Sapling.Training.Plots;

/// <summary>
/// One named curve: x and y of equal length; points with a NaN or infinite coordinate are not drawn. With
/// <paramref name="PointsOnly"/> the points are drawn as unconnected markers (a scatter, e.g. metric against a setting).
/// </summary>
public sealed record LineSeries(string Name, double[] X, double[] Y, string? Color = null, bool Dashed = false, bool PointsOnly = false)
{
    /// <summary>Whether point i is drawn on linear or logarithmic axes (log axes cannot show values &lt;= 0).</summary>
    internal bool IsDrawable(int i, bool logY, bool logX = false) =>
        double.IsFinite(X[i]) && double.IsFinite(Y[i]) && (!logY || Y[i] > 0) && (!logX || X[i] > 0);
}
