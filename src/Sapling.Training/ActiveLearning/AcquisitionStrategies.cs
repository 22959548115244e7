namespace Sapling.Training.ActiveLearning;

public static class AcquisitionStrategies
{
    public static AcquisitionStrategy Parse(string name) => name switch
    {
        "entropy" => AcquisitionStrategy.Entropy,
        "margin" => AcquisitionStrategy.Margin,
        "random" => AcquisitionStrategy.Random,
        _ => throw new ArgumentException($"--strategy must be entropy, margin or random, got '{name}'"),
    };

    public static string Name(this AcquisitionStrategy strategy) => strategy.ToString().ToLowerInvariant();
}
