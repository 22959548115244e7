namespace Sapling.Training.Sweeps;

/// <summary>
/// Asynchronous successive halving (ASHA, Li et al. 2020) as a stopping rule. Rungs sit at min_epochs × η^k epochs
/// below max_epochs. A trial reaching a rung is compared with every value seen at that rung so far, its own included;
/// it goes on only if it is among the best ⌊n/η⌋ (at least one, so the first trial at a rung always goes on). Nothing
/// waits for a full bracket, which is what lets trials run one after another or several at a time.
/// </summary>
public sealed class SuccessiveHalving
{
    private readonly object gate = new();
    private readonly Dictionary<int, Dictionary<int, double>> valuesByRung = new();

    /// <summary>
    /// Creates the rule. Needs <paramref name="minEpochs"/> ≥ 1, <paramref name="reductionFactor"/> (η) ≥ 2 and
    /// <paramref name="maxEpochs"/> &gt; <paramref name="minEpochs"/>.
    /// </summary>
    public SuccessiveHalving(int minEpochs, int reductionFactor, int maxEpochs, SweepMetric metric)
    {
        if (minEpochs < 1) throw new ArgumentException($"sweep.min_epochs must be at least 1, got {minEpochs}");
        if (reductionFactor < 2) throw new ArgumentException($"sweep.reduction_factor must be at least 2, got {reductionFactor}");
        if (maxEpochs <= minEpochs) throw new ArgumentException($"sweep.max_epochs ({maxEpochs}) must be greater than sweep.min_epochs ({minEpochs})");
        (MinEpochs, ReductionFactor, MaxEpochs, Metric) = (minEpochs, reductionFactor, maxEpochs, metric);
        var rungs = new List<int>();
        for (long r = minEpochs; r < maxEpochs; r *= reductionFactor) rungs.Add((int)r);
        Rungs = rungs;
    }

    /// <summary>The first rung, in epochs (sweep.min_epochs).</summary>
    public int MinEpochs { get; }
    /// <summary>η, the factor between rungs: a trial goes on only if among the best 1/η at its rung.</summary>
    public int ReductionFactor { get; }
    /// <summary>
    /// The epochs a trial trains when it is never stopped (sweep.max_epochs); no rung sits at or above it.
    /// </summary>
    public int MaxEpochs { get; }
    /// <summary>The metric trials are compared by, and which way is better.</summary>
    public SweepMetric Metric { get; }
    /// <summary>The epochs at which trials are compared: min_epochs × η^k, below max_epochs, ascending.</summary>
    public IReadOnlyList<int> Rungs { get; }

    /// <summary>Whether <paramref name="epoch"/> is one of the <see cref="Rungs"/>.</summary>
    public bool IsRung(int epoch) => Rungs.Contains(epoch);

    /// <summary>Records a trial's value at a rung and says whether the trial should continue training.</summary>
    /// <remarks>A repeated report for the same trial and rung replaces the earlier one (a rerun after a crash).</remarks>
    public bool Report(int trial, int epoch, double value)
    {
        if (!IsRung(epoch)) return true;
        lock (gate)
        {
            if (!valuesByRung.TryGetValue(epoch, out var values)) valuesByRung[epoch] = values = new Dictionary<int, double>();
            values[trial] = value;
            if (double.IsNaN(value)) return false;
            int keep = Math.Max(1, values.Count / ReductionFactor);
            var ranked = values.Values.OrderBy(v => v, Comparer<double>.Create(Metric.Compare)).ToList();
            // Ties with the last kept value go on too: two equally good trials are not told apart by arrival order.
            return Metric.Compare(value, ranked[keep - 1]) <= 0;
        }
    }

    /// <summary>Replays a value recorded by an earlier session without deciding anything (rebuilding the rung tables on resume).</summary>
    public void Restore(int trial, int epoch, double value)
    {
        if (!IsRung(epoch)) return;
        lock (gate)
        {
            if (!valuesByRung.TryGetValue(epoch, out var values)) valuesByRung[epoch] = values = new Dictionary<int, double>();
            values[trial] = value;
        }
    }
}
