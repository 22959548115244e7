using Sapling.Training.Sweeps;

namespace Sapling.Cli.Config;

/// <summary>A sweep as its config declares it: the trials to run, what ranks them and how poor ones are pruned.</summary>
public sealed record SweepPlan(SearchSpace Space, IReadOnlyList<Setting[]> Trials, SweepMetric Metric, SuccessiveHalving? Pruner, int? MaxEpochs)
{
    /// <summary>Each swept parameter's name and whether it is searched on a log scale, for reports and plots.</summary>
    public IReadOnlyList<ParameterAxis> Axes => Space.Parameters.Select(p => new ParameterAxis(p.Name, p.LogScale)).ToList();
}
