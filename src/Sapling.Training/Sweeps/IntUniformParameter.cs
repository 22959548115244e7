using System.Globalization;

namespace Sapling.Training.Sweeps;

/// <summary><c>int_uniform: [lo, hi]</c>: an integer from lo to hi, both included (layer widths, batch sizes).</summary>
public sealed class IntUniformParameter : SearchParameter
{
    /// <summary>Creates the parameter; <paramref name="low"/> must not exceed <paramref name="high"/>.</summary>
    public IntUniformParameter(string name, long low, long high) : base(name)
    {
        CheckRange(name, "int_uniform", low, high);
        (Low, High) = (low, high);
    }

    /// <summary>The smallest value drawn.</summary>
    public long Low { get; }
    /// <summary>The largest value drawn (included).</summary>
    public long High { get; }

    /// <inheritdoc/>
    public override string Sample(Generator random) => random.NextInt64(Low, High + 1).ToString(CultureInfo.InvariantCulture);
}
