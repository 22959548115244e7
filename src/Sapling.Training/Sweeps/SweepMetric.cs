using Sapling.Training.Progress;
using Sapling.Training.Guards;

namespace Sapling.Training.Sweeps;

/// <summary>The per-epoch number a sweep ranks trials by, and which way is better.</summary>
public sealed record SweepMetric(string Name, bool Maximize)
{
    /// <summary>The metrics every classification epoch logs (the names used in metrics.jsonl).</summary>
    public static readonly IReadOnlyList<string> Known = ["val_accuracy", "val_loss", "train_accuracy", "train_loss"];

    /// <summary>
    /// Checks the name and the mode (max or min; null picks max for accuracies and min for losses), so a typo fails before
    /// any trial runs instead of after the first one.
    /// </summary>
    public static SweepMetric Parse(string name, string? mode)
    {
        if (!Known.Contains(name)) throw new ArgumentException($"sweep.metric: unknown metric '{name}'; known metrics are {string.Join(", ", Known)}");
        bool maximize = mode switch
        {
            null => name.EndsWith("accuracy", StringComparison.Ordinal),
            "max" => true,
            "min" => false,
            _ => throw new ArgumentException($"sweep.mode must be max or min, got '{mode}'"),
        };
        return new SweepMetric(name, maximize);
    }

    /// <summary>
    /// This metric's value in an epoch's record (NaN when that epoch had no validation and it is a val_ one).
    /// </summary>
    public double Of(EpochRecord record) => Name switch
    {
        "val_accuracy" => record.ValAccuracy,
        "val_loss" => record.ValLoss,
        "train_accuracy" => record.TrainAccuracy,
        _ => record.TrainLoss,
    };

    /// <summary>Whether <paramref name="a"/> beats <paramref name="b"/>; NaN (a diverged run) never beats anything.</summary>
    public bool IsBetter(double a, double b) => BestMetric.Improves(a, b, lowerIsBetter: !Maximize);

    /// <summary>Orders values best first, NaN last.</summary>
    public int Compare(double a, double b) => IsBetter(a, b) ? -1 : IsBetter(b, a) ? 1 : 0;
}
