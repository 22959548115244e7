namespace Sapling.Training.Plots;

/// <summary>One named curve: x and y of equal length; points with a NaN or infinite coordinate are not drawn.</summary>
public sealed record LineSeries(string Name, double[] X, double[] Y, string? Color = null, bool Dashed = false)
{
    /// <summary>Whether point i is drawn on a linear (or, with <paramref name="logY"/>, logarithmic) y axis.</summary>
    internal bool IsDrawable(int i, bool logY) => double.IsFinite(X[i]) && double.IsFinite(Y[i]) && (!logY || Y[i] > 0);
}
