using Sapling.Training.Sweeps;

namespace Sapling.Cli.Config;

/// <summary>A sweep as its config declares it: the trials to run, what ranks them and how poor ones are pruned.</summary>
public sealed record SweepPlan(SearchSpace Space, IReadOnlyList<Setting[]> Trials, SweepMetric Metric, SuccessiveHalving? Pruner, int? MaxEpochs)
{
    public IReadOnlyList<ParameterAxis> Axes => Space.Parameters.Select(p => new ParameterAxis(p.Name, p.LogScale)).ToList();
}
