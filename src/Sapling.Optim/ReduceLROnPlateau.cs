using System.Text.Json;

namespace Sapling.Optim;

/// <summary>
/// Cuts the learning rate by <c>factor</c> when a monitored metric has not improved for <c>patience</c> checks
/// (torch.optim.lr_scheduler.ReduceLROnPlateau with relative threshold).
/// </summary>
public sealed class ReduceLROnPlateau
{
    private readonly bool minimize;
    private readonly double factor;
    private readonly int patience;
    private readonly double threshold;
    private readonly int cooldown;
    private readonly double minLr;

    /// <summary>Creates the scheduler.</summary>
    /// <param name="optimizer">The optimiser whose learning rates are reduced.</param>
    /// <param name="mode">"min" when lower metric values are better (a loss), "max" when higher are (accuracy).</param>
    /// <param name="factor">Multiplier applied to the learning rate on a plateau, in (0, 1).</param>
    /// <param name="patience">Checks without improvement tolerated before reducing.</param>
    /// <param name="threshold">Relative margin a new value must beat the best by to count as an improvement.</param>
    /// <param name="cooldown">Checks after a reduction during which bad checks are not counted.</param>
    /// <param name="minLr">Floor below which no group's learning rate is reduced.</param>
    public ReduceLROnPlateau(Optimizer optimizer, string mode = "min", double factor = 0.1, int patience = 10, double threshold = 1e-4, int cooldown = 0, double minLr = 0)
    {
        if (mode is not ("min" or "max")) throw new ArgumentException($"ReduceLROnPlateau: mode must be 'min' or 'max', got '{mode}'");
        if (factor is <= 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(factor), $"ReduceLROnPlateau: factor must be in (0, 1), got {factor}");
        Optimizer = optimizer;
        (minimize, this.factor, this.patience, this.threshold, this.cooldown, this.minLr) = (mode == "min", factor, patience, threshold, cooldown, minLr);
        Best = minimize ? double.PositiveInfinity : double.NegativeInfinity;
    }

    /// <summary>The optimiser whose learning rates are reduced.</summary>
    public Optimizer Optimizer { get; }
    /// <summary>The best metric value seen so far (±infinity before the first check).</summary>
    public double Best { get; private set; }
    /// <summary>Checks in a row without improvement since the last improvement or reduction.</summary>
    public int BadChecks { get; private set; }
    private int cooldownLeft;

    /// <summary>Records one value of the metric; returns true when the learning rate was reduced.</summary>
    public bool Step(double metric)
    {
        bool improved = minimize ? metric < Best * (1 - threshold) : metric > Best * (1 + threshold);
        if (double.IsInfinity(Best)) improved = !double.IsNaN(metric);
        if (improved)
        {
            Best = metric;
            BadChecks = 0;
        }
        else
        {
            BadChecks++;
        }
        if (cooldownLeft > 0)
        {
            cooldownLeft--;
            BadChecks = 0;
        }
        if (BadChecks <= patience) return false;
        bool reduced = false;
        foreach (var g in Optimizer.ParamGroups)
        {
            double next = Math.Max(g.LearningRate * factor, minLr);
            if (g.LearningRate - next > 1e-8)
            {
                g.LearningRate = next;
                reduced = true;
            }
        }
        cooldownLeft = cooldown;
        BadChecks = 0;
        return reduced;
    }

    // The best value starts at ±infinity, which JSON can only carry as a named literal.
    private static readonly JsonSerializerOptions Json = new() { NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };

    /// <summary>The state as JSON (best value, counters and current learning rates), for checkpoints.</summary>
    public string StateDict() => JsonSerializer.Serialize(new { best = Best, bad_checks = BadChecks, cooldown_left = cooldownLeft, lrs = Optimizer.ParamGroups.Select(g => g.LearningRate).ToArray() }, Json);

    /// <summary>
    /// Restores state saved by <see cref="StateDict"/>, including the groups' learning rates (extra or missing groups
    /// are ignored).
    /// </summary>
    public void LoadStateDict(string json)
    {
        using var doc = JsonDocument.Parse(json);
        var r = doc.RootElement;
        Best = r.GetProperty("best").Deserialize<double>(Json);
        BadChecks = r.GetProperty("bad_checks").GetInt32();
        cooldownLeft = r.GetProperty("cooldown_left").GetInt32();
        var lrs = r.GetProperty("lrs").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        for (int i = 0; i < Math.Min(lrs.Length, Optimizer.ParamGroups.Count); i++) Optimizer.ParamGroups[i].LearningRate = lrs[i];
    }
}
