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
