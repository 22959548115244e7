namespace Sapling.Training.Sweeps;

/// <summary>
/// <c>uniform: [lo, hi]</c>: a real number drawn evenly from the range; <c>log_uniform: [lo, hi]</c> (with
/// <c>log</c>): a positive number whose logarithm is drawn evenly, for learning rates and weight decay.
/// </summary>
public sealed class UniformParameter : SearchParameter
{
    /// <summary>
    /// Creates the parameter over [<paramref name="low"/>, <paramref name="high"/>]; <paramref name="log"/> draws the
    /// logarithm evenly and needs a positive lower bound.
    /// </summary>
    public UniformParameter(string name, double low, double high, bool log = false) : base(name)
    {
        CheckRange(name, log ? "log_uniform" : "uniform", low, high);
        if (log && low <= 0) throw new ArgumentException($"sweep parameter '{name}': log_uniform needs lo > 0, got {low}");
        (Low, High, Log) = (low, high, log);
    }

    /// <summary>The lower bound of the range (above 0 for log_uniform).</summary>
    public double Low { get; }
    /// <summary>The upper bound of the range.</summary>
    public double High { get; }
    /// <summary>Whether the logarithm is drawn evenly (log_uniform) rather than the value.</summary>
    public bool Log { get; }

    /// <inheritdoc/>
    public override bool LogScale => Log;

    /// <summary>
    /// A value drawn from the range (evenly, or evenly in its logarithm), to four significant digits.
    /// </summary>
    public override string Sample(Generator random) => Format(Log
        ? Math.Exp(Math.Log(Low) + random.NextDouble() * (Math.Log(High) - Math.Log(Low)))
        : Low + random.NextDouble() * (High - Low), Low, High);
}
