using System.Globalization;

namespace Sapling.Training.Sweeps;

/// <summary>One setting of a search space, by the dotted name <c>--set</c> uses (train.lr), and how to draw its values.</summary>
/// <remarks>Values are produced as YAML text, the form <c>--set</c> takes, so any setting type (number, word, list) can be searched.</remarks>
public abstract class SearchParameter
{
    /// <summary>Creates the parameter for setting <paramref name="name"/>, which must not be blank.</summary>
    protected SearchParameter(string name)
    {
        if (string.IsNullOrWhiteSpace(name)) throw new ArgumentException("a search parameter needs a setting name");
        Name = name;
    }

    /// <summary>The setting's dotted name, e.g. <c>train.lr</c>.</summary>
    public string Name { get; }

    /// <summary>True when the values spread over orders of magnitude (plots then use a log axis).</summary>
    public virtual bool LogScale => false;

    /// <summary>The values a grid search enumerates; null for continuous ranges, which only random search can draw.</summary>
    public virtual IReadOnlyList<string>? GridValues => null;

    /// <summary>One value drawn with <paramref name="random"/>, as YAML text for <c>--set</c>.</summary>
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
