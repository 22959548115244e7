using System.Text.Json;

namespace Sapling.Optim;

/// <summary>
/// A learning-rate schedule over an optimiser's groups, as a pure function of the step count (so resuming only needs
/// the count). Call <see cref="Step"/> once per optimiser step (or per epoch, for epoch-based schedules).
/// </summary>
public abstract class LrScheduler
{
    /// <summary>Creates the schedule and applies its step-0 factor to the optimiser's groups at once.</summary>
    protected LrScheduler(Optimizer optimizer)
    {
        Optimizer = optimizer;
        Apply();
    }

    /// <summary>The optimiser whose learning rates this schedule sets.</summary>
    public Optimizer Optimizer { get; }

    /// <summary>How many times <see cref="Step"/> has been called.</summary>
    public long LastStep { get; private set; }

    /// <summary>The factor applied to a group's initial learning rate after <paramref name="step"/> calls.</summary>
    public abstract double Factor(long step);

    /// <summary>Advances the schedule one step: each group's learning rate becomes its initial rate × factor.</summary>
    public void Step()
    {
        LastStep++;
        Apply();
    }

    /// <summary>Each parameter group's learning rate now, in group order.</summary>
    public IReadOnlyList<double> CurrentLearningRates => Optimizer.ParamGroups.Select(g => g.LearningRate).ToList();

    /// <summary>The scheduler's state as JSON (its type and step count), for checkpoints.</summary>
    public string StateDict() => JsonSerializer.Serialize(new { type = GetType().Name, last_step = LastStep });

    /// <summary>
    /// Restores the step count saved by <see cref="StateDict"/> and sets the learning rates for it; refuses state
    /// from another scheduler type.
    /// </summary>
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
