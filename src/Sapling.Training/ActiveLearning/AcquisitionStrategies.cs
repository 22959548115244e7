namespace Sapling.Training.ActiveLearning;

/// <summary>The command-line names of the <see cref="AcquisitionStrategy"/> values.</summary>
public static class AcquisitionStrategies
{
    /// <summary>The strategy named "entropy", "margin" or "random" (the spelling of <c>--strategy</c>).</summary>
    public static AcquisitionStrategy Parse(string name) => name switch
    {
        "entropy" => AcquisitionStrategy.Entropy,
        "margin" => AcquisitionStrategy.Margin,
        "random" => AcquisitionStrategy.Random,
        _ => throw new ArgumentException($"--strategy must be entropy, margin or random, got '{name}'"),
    };

    /// <summary>The strategy's lower-case name, as <see cref="Parse"/> reads it.</summary>
    public static string Name(this AcquisitionStrategy strategy) => strategy.ToString().ToLowerInvariant();
}
