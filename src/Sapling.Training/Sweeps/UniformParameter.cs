namespace Sapling.Training.Sweeps;

/// <summary>
/// <c>uniform: [lo, hi]</c>: a real number drawn evenly from the range; <c>log_uniform: [lo, hi]</c> (with
/// <c>log</c>): a positive number whose logarithm is drawn evenly, for learning rates and weight decay.
/// </summary>
public sealed class UniformParameter : SearchParameter
{
    public UniformParameter(string name, double low, double high, bool log = false) : base(name)
    {
        CheckRange(name, log ? "log_uniform" : "uniform", low, high);
        if (log && low <= 0) throw new ArgumentException($"sweep parameter '{name}': log_uniform needs lo > 0, got {low}");
        (Low, High, Log) = (low, high, log);
    }

    public double Low { get; }
    public double High { get; }
    public bool Log { get; }

    public override bool LogScale => Log;

    public override string Sample(Generator random) => Format(Log
        ? Math.Exp(Math.Log(Low) + random.NextDouble() * (Math.Log(High) - Math.Log(Low)))
        : Low + random.NextDouble() * (High - Low), Low, High);
}
