namespace Sapling.Training.Sweeps;

/// <summary>
/// The settings a sweep searches over, and the trials drawn from them: every combination (grid) or a seeded random
/// sample. Trial i of a random search depends only on the seed and i, so asking for more trials later keeps the first ones.
/// </summary>
public sealed class SearchSpace
{
    /// <summary>Creates the space; it needs at least one parameter and no setting twice.</summary>
    public SearchSpace(IReadOnlyList<SearchParameter> parameters)
    {
        if (parameters.Count == 0) throw new ArgumentException("the sweep has no parameters: list at least one setting under sweep.parameters");
        var repeated = parameters.GroupBy(p => p.Name).FirstOrDefault(g => g.Count() > 1);
        if (repeated != null) throw new ArgumentException($"sweep parameter '{repeated.Key}' is listed twice");
        Parameters = parameters;
    }

    /// <summary>The parameters, in the order given.</summary>
    public IReadOnlyList<SearchParameter> Parameters { get; }

    /// <summary>The Cartesian product of every parameter's values, the last parameter varying fastest.</summary>
    public IReadOnlyList<Setting[]> Grid()
    {
        var continuous = Parameters.FirstOrDefault(p => p.GridValues == null);
        if (continuous != null)
            throw new ArgumentException($"grid search needs a values: list for every parameter, but '{continuous.Name}' is a range; list values or use method: random");
        IEnumerable<Setting[]> trials = [[]];
        foreach (var p in Parameters)
            trials = trials.SelectMany(prefix => p.GridValues!.Select(v => (Setting[])[.. prefix, new Setting(p.Name, v)]));
        return trials.ToList();
    }

    /// <summary><paramref name="trials"/> independent draws; the same seed always gives the same trials.</summary>
    public IReadOnlyList<Setting[]> Random(int trials, ulong seed)
    {
        if (trials <= 0) throw new ArgumentException($"sweep.trials must be positive for random search, got {trials}");
        var result = new List<Setting[]>(trials);
        for (int i = 0; i < trials; i++)
        {
            // A generator per trial (seed and index mixed through SplitMix in the constructor) keeps trial i fixed
            // whatever the trial count.
            var random = new Generator(seed * 0x9E3779B97F4A7C15UL + (ulong)i + 1);
            result.Add(Parameters.Select(p => new Setting(p.Name, p.Sample(random))).ToArray());
        }
        return result;
    }
}
