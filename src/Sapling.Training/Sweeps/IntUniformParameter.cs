using System.Globalization;

namespace Sapling.Training.Sweeps;

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
