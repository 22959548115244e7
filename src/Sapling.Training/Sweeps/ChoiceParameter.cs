using System.Globalization;

namespace Sapling.Training.Sweeps;

/// <summary><c>values: [...]</c>: a fixed list, enumerated by grid search and drawn uniformly by random search.</summary>
public sealed class ChoiceParameter : SearchParameter
{
    /// <summary>Creates the parameter; <paramref name="values"/> must not be empty.</summary>
    public ChoiceParameter(string name, IReadOnlyList<string> values) : base(name)
    {
        if (values.Count == 0) throw new ArgumentException($"sweep parameter '{name}': values is empty; list at least one value");
        Values = values;
    }

    /// <summary>The listed values, as YAML text, in the order given.</summary>
    public IReadOnlyList<string> Values { get; }

    /// <inheritdoc/>
    public override IReadOnlyList<string> GridValues => Values;

    /// <summary>
    /// True when every value is a positive number and the largest is at least 100 times the smallest.
    /// </summary>
    public override bool LogScale
    {
        get
        {
            // A list like [1e-4, 1e-3, 1e-2] is a log-scale choice: plot it on a log axis.
            var numbers = Values.Select(v => double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) ? d : double.NaN).ToArray();
            return numbers.All(d => d > 0) && numbers.Max() / numbers.Min() >= 100;
        }
    }

    /// <inheritdoc/>
    public override string Sample(Generator random) => Values[(int)random.NextInt64(0, Values.Count)];
}
