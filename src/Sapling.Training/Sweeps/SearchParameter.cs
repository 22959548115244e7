using System.Globalization;

namespace Sapling.Training.Sweeps;

/// <summary>One setting of a search space, by the dotted name <c>--set</c> uses (train.lr), and how to draw its values.</summary>
/// <remarks>Values are produced as YAML text, the form <c>--set</c> takes, so any setting type (number, word, list) can be searched.</remarks>
public abstract class SearchParameter
{
    protected SearchParameter(string name)
    {
        if (string.IsNullOrWhiteSpace(name)) throw new ArgumentException("a search parameter needs a setting name");
        Name = name;
    }

    public string Name { get; }

    /// <summary>True when the values spread over orders of magnitude (plots then use a log axis).</summary>
    public virtual bool LogScale => false;

    /// <summary>The values a grid search enumerates; null for continuous ranges, which only random search can draw.</summary>
    public virtual IReadOnlyList<string>? GridValues => null;

    public abstract string Sample(Generator random);

    /// <summary>Four significant digits: a drawn learning rate of 0.0031 reads better than 0.003104729 and searches as well.</summary>
    private protected static string Format(double value, double low, double high) =>
        Math.Clamp(double.Parse(value.ToString("G4", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture), low, high).ToString("R", CultureInfo.InvariantCulture);

    private protected static void CheckRange(string name, string kind, double low, double high)
    {
        if (!double.IsFinite(low) || !double.IsFinite(high)) throw new ArgumentException($"sweep parameter '{name}': {kind} bounds must be finite numbers, got [{low}, {high}]");
        if (low > high) throw new ArgumentException($"sweep parameter '{name}': {kind} range [{low}, {high}] has lo > hi");
    }
}

/// <summary><c>values: [...]</c>: a fixed list, enumerated by grid search and drawn uniformly by random search.</summary>
public sealed class ChoiceParameter : SearchParameter
{
    public ChoiceParameter(string name, IReadOnlyList<string> values) : base(name)
    {
        if (values.Count == 0) throw new ArgumentException($"sweep parameter '{name}': values is empty; list at least one value");
        Values = values;
    }

    public IReadOnlyList<string> Values { get; }

    public override IReadOnlyList<string> GridValues => Values;

    public override bool LogScale
    {
        get
        {
            // A list like [1e-4, 1e-3, 1e-2] is a log-scale choice: plot it on a log axis.
            var numbers = Values.Select(v => double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) ? d : double.NaN).ToArray();
            return numbers.All(d => d > 0) && numbers.Max() / numbers.Min() >= 100;
        }
    }

    public override string Sample(Generator random) => Values[(int)random.NextInt64(0, Values.Count)];
}

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

/// <summary><c>int_uniform: [lo, hi]</c>: an integer from lo to hi, both included (layer widths, batch sizes).</summary>
public sealed class IntUniformParameter : SearchParameter
{
    public IntUniformParameter(string name, long low, long high) : base(name)
    {
        CheckRange(name, "int_uniform", low, high);
        (Low, High) = (low, high);
    }

    public long Low { get; }
    public long High { get; }

    public override string Sample(Generator random) => random.NextInt64(Low, High + 1).ToString(CultureInfo.InvariantCulture);
}
