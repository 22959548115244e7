using System.Text.Json;

namespace Sapling.Optim;

/// <summary>
/// A learning-rate schedule over an optimiser's groups, as a pure function of the step count (so resuming only needs
/// the count). Call <see cref="Step"/> once per optimiser step (or per epoch, for epoch-based schedules).
/// </summary>
public abstract class LrScheduler
{
    protected LrScheduler(Optimizer optimizer)
    {
        Optimizer = optimizer;
        Apply();
    }

    public Optimizer Optimizer { get; }

    /// <summary>How many times <see cref="Step"/> has been called.</summary>
    public long LastStep { get; private set; }

    /// <summary>The factor applied to a group's initial learning rate after <paramref name="step"/> calls.</summary>
    public abstract double Factor(long step);

    public void Step()
    {
        LastStep++;
        Apply();
    }

    public IReadOnlyList<double> CurrentLearningRates => Optimizer.ParamGroups.Select(g => g.LearningRate).ToList();

    public string StateDict() => JsonSerializer.Serialize(new { type = GetType().Name, last_step = LastStep });

    public void LoadStateDict(string json)
    {
        using var doc = JsonDocument.Parse(json);
        string type = doc.RootElement.GetProperty("type").GetString() ?? "";
        if (type != GetType().Name) throw new InvalidOperationException($"scheduler state was saved by {type}, cannot load it into {GetType().Name}");
        LastStep = doc.RootElement.GetProperty("last_step").GetInt64();
        Apply();
    }

    private void Apply()
    {
        double f = Factor(LastStep);
        foreach (var g in Optimizer.ParamGroups) g.LearningRate = g.InitialLearningRate * f;
    }
}

/// <summary>Multiplies the learning rate by <c>gamma</c> every <c>stepSize</c> steps (torch.optim.lr_scheduler.StepLR).</summary>
public sealed class StepLR(Optimizer optimizer, int stepSize, double gamma = 0.1) : LrScheduler(optimizer)
{
    public override double Factor(long step) => Math.Pow(gamma, step / Math.Max(stepSize, 1));
}

/// <summary>
/// Linear warm-up from 0 over <c>warmupSteps</c>, then cosine decay to <c>minRatio</c> of the initial rate at
/// <c>totalSteps</c> (Hugging Face's get_cosine_schedule_with_warmup, with a floor).
/// </summary>
public sealed class CosineWithWarmup(Optimizer optimizer, int warmupSteps, int totalSteps, double minRatio = 0)
    : LrScheduler(Validate(optimizer, warmupSteps, totalSteps, minRatio))
{
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
