using System.Globalization;

namespace Sapling.Training.Sweeps;

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
