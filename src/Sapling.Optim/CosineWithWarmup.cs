namespace Sapling.Optim;

/// <summary>
/// Linear warm-up from 0 over <c>warmupSteps</c>, then cosine decay to <c>minRatio</c> of the initial rate at
/// <c>totalSteps</c> (Hugging Face's get_cosine_schedule_with_warmup, with a floor).
/// </summary>
public sealed class CosineWithWarmup(Optimizer optimizer, int warmupSteps, int totalSteps, double minRatio = 0)
    : LrScheduler(Validate(optimizer, warmupSteps, totalSteps, minRatio))
{
    /// <inheritdoc/>
    public override double Factor(long step)
    {
        if (totalSteps == 0) return 1;
        if (step < warmupSteps) return (double)step / Math.Max(1, warmupSteps);
        double progress = Math.Min(1.0, (double)(step - warmupSteps) / Math.Max(1, totalSteps - warmupSteps));
        return minRatio + (1 - minRatio) * 0.5 * (1 + Math.Cos(Math.PI * progress));
    }

    private static Optimizer Validate(Optimizer optimizer, int warmupSteps, int totalSteps, double minRatio)
    {
        if (warmupSteps < 0 || totalSteps < warmupSteps) throw new ArgumentException($"cosine schedule: need 0 ≤ warm-up steps ({warmupSteps}) ≤ total steps ({totalSteps})");
        if (minRatio is < 0 or > 1) throw new ArgumentOutOfRangeException(nameof(minRatio), $"cosine schedule: minimum ratio must be in [0, 1], got {minRatio}");
        return optimizer;
    }
}
