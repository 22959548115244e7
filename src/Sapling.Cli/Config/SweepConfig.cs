using Sapling.Training.Sweeps;

namespace Sapling.Cli.Config;

/// <summary>
/// Reads a training config's <c>sweep:</c> section:
/// <code>
/// sweep:
///   method: random          # or grid (every combination of values: lists)
///   trials: 16              # random search only
///   seed: 0
///   metric: val_accuracy    # or val_loss, train_accuracy, train_loss
///   mode: max               # default: max for accuracies, min for losses
///   pruner: asha            # or none
///   min_epochs: 2           # first ASHA rung
///   reduction_factor: 3     # keep the best 1/3 at each rung
///   max_epochs: 18          # every trial's train.epochs (default: the config's)
///   parameters:
///     train.lr: {log_uniform: [3.0e-4, 1.0e-2]}
///     model.dropout: {values: [0.0, 0.2, 0.4]}
/// </code>
/// </summary>
public static class SweepConfig
{
    private static readonly string[] Kinds = ["values", "uniform", "log_uniform", "int_uniform"];

    /// <summary>
    /// Binds a <c>sweep:</c> section (as detached from the config) and draws its trials. Refuses unknown keys, an
    /// unknown method or pruner, a parameter without exactly one kind, and ASHA without <c>max_epochs</c>.
    /// </summary>
    public static SweepPlan Bind(ConfigTree sweep)
    {
        string method = sweep.Get("method", "random");
        int trials = sweep.Get("trials", 10);
        ulong seed = sweep.Get("seed", 0UL);
        var metric = SweepMetric.Parse(sweep.Get("metric", "val_accuracy"), sweep.Get<string?>("mode", null));
        string pruner = sweep.Get("pruner", "none");
        int minEpochs = sweep.Get("min_epochs", 1);
        int reductionFactor = sweep.Get("reduction_factor", 3);
        int? maxEpochs = sweep.Get<int?>("max_epochs", null);
        var space = new SearchSpace(sweep.Entries("parameters").Select(e => Parameter(e.Key, e.Value)).ToList());
        sweep.RejectUnknownKeys();

        var drawn = method switch
        {
            "grid" => space.Grid(),
            "random" => space.Random(trials, seed),
            _ => throw new ArgumentException($"sweep.method must be grid or random, got '{method}'"),
        };
        SuccessiveHalving? halving = pruner switch
        {
            "none" => null,
            "asha" => new SuccessiveHalving(minEpochs, reductionFactor, maxEpochs ?? throw new ArgumentException("sweep.pruner asha needs sweep.max_epochs (the epochs a trial that is never pruned trains)"), metric),
            _ => throw new ArgumentException($"sweep.pruner must be asha or none, got '{pruner}'"),
        };
        return new SweepPlan(space, drawn, metric, halving, maxEpochs);
    }

    private static SearchParameter Parameter(string name, ConfigTree spec)
    {
        var given = Kinds.Where(spec.Has).ToList();
        if (given.Count != 1)
        {
            var other = spec.SectionKeys.Where(k => !Kinds.Contains(k)).ToList();
            throw new ArgumentException($"sweep parameter '{name}': give exactly one of {string.Join(", ", Kinds)}; got "
                + (given.Count > 1 ? string.Join(" and ", given) : other.Count > 0 ? $"unknown {string.Join(", ", other.Select(k => $"'{k}'"))}" : "none"));
        }
        SearchParameter parameter = given[0] switch
        {
            "values" => new ChoiceParameter(name, spec.Get("values", Array.Empty<string>())),
            "uniform" => Range(name, spec, "uniform", (lo, hi) => new UniformParameter(name, lo, hi)),
            "log_uniform" => Range(name, spec, "log_uniform", (lo, hi) => new UniformParameter(name, lo, hi, log: true)),
            _ => Range(name, spec, "int_uniform", (lo, hi) => new IntUniformParameter(name, checked((long)lo), checked((long)hi)), integers: true),
        };
        spec.RejectUnknownKeys();
        return parameter;
    }

    private static SearchParameter Range(string name, ConfigTree spec, string kind, Func<double, double, SearchParameter> create, bool integers = false)
    {
        var bounds = integers ? spec.Get(kind, Array.Empty<long>()).Select(v => (double)v).ToArray() : spec.Get(kind, Array.Empty<double>());
        if (bounds.Length != 2) throw new ArgumentException($"sweep parameter '{name}': {kind} needs [lo, hi], got {bounds.Length} value{(bounds.Length == 1 ? "" : "s")}");
        return create(bounds[0], bounds[1]);
    }
}
