namespace Sapling.Training.Review;

/// <summary>
/// A reproducible stratified sample: each stratum gets a share of the sample proportional to its size (largest
/// remainders break the rounding), every stratum gets at least one item when the sample is large enough to allow it,
/// and the items within a stratum are drawn by a seeded shuffle.
/// </summary>
public static class StratifiedSample
{
    /// <summary>
    /// Picks up to <paramref name="n"/> item indices, where <paramref name="strata"/>[i] is item i's stratum; the
    /// same seed gives the same sample. Returned in ascending order.
    /// </summary>
    public static int[] Pick(IReadOnlyList<string> strata, int n, ulong seed)
    {
        if (n < 1) throw new ArgumentOutOfRangeException(nameof(n), $"the sample size must be ≥ 1, got {n}");
        if (strata.Count == 0) throw new ArgumentException("there is nothing to sample from: the data has no items");
        var groups = new SortedDictionary<string, List<int>>(StringComparer.Ordinal);
        for (int i = 0; i < strata.Count; i++)
        {
            if (!groups.TryGetValue(strata[i], out var list)) groups[strata[i]] = list = new List<int>();
            list.Add(i);
        }
        n = Math.Min(n, strata.Count);
        var names = groups.Keys.ToArray();
        var quota = Allocate(names.Select(k => groups[k].Count).ToArray(), n);
        var g = new Generator(seed);
        var picked = new List<int>(n);
        for (int s = 0; s < names.Length; s++)
        {
            var members = groups[names[s]].ToArray();
            for (int i = 0; i < quota[s]; i++)
            {
                int j = i + (int)(g.NextDouble() * (members.Length - i));
                (members[i], members[j]) = (members[j], members[i]);
                picked.Add(members[i]);
            }
        }
        picked.Sort();
        return picked.ToArray();
    }

    /// <summary>Per-stratum counts adding up to <paramref name="n"/>, proportional to <paramref name="sizes"/>.</summary>
    public static int[] Allocate(int[] sizes, int n)
    {
        int total = sizes.Sum();
        var quota = new int[sizes.Length];
        bool everyone = n >= sizes.Length;
        var remainders = new double[sizes.Length];
        for (int s = 0; s < sizes.Length; s++)
        {
            double exact = (double)n * sizes[s] / total;
            quota[s] = Math.Min(sizes[s], Math.Max(everyone ? 1 : 0, (int)Math.Floor(exact)));
            remainders[s] = exact - Math.Floor(exact);
        }
        // Hand out what rounding left (or take back what the minimum of one added), largest remainder first.
        while (quota.Sum() < n)
        {
            int best = -1;
            for (int s = 0; s < sizes.Length; s++)
                if (quota[s] < sizes[s] && (best < 0 || remainders[s] > remainders[best])) best = s;
            quota[best]++;
            remainders[best] -= 1;
        }
        while (quota.Sum() > n)
        {
            int best = -1;
            for (int s = 0; s < sizes.Length; s++)
                if (quota[s] > 1 && (best < 0 || quota[s] - (double)n * sizes[s] / total > quota[best] - (double)n * sizes[best] / total)) best = s;
            quota[best]--;
        }
        return quota;
    }

    /// <summary>Strata by input length: quartile bins named by rank and range, e.g. "length Q2 12–30".</summary>
    public static string[] ByLength(IReadOnlyList<int> lengths, int bins = 4)
    {
        if (lengths.Count == 0) return [];
        var sorted = lengths.Order().ToArray();
        var edges = Enumerable.Range(1, bins - 1).Select(b => sorted[(int)((long)b * sorted.Length / bins)]).Distinct().ToArray();
        string Name(int bin)
        {
            int lo = bin == 0 ? sorted[0] : edges[bin - 1];
            int hi = bin == edges.Length ? sorted[^1] : edges[bin] - 1;
            return $"length Q{bin + 1} {lo}–{Math.Max(lo, hi)}";
        }
        return lengths.Select(l =>
        {
            int bin = 0;
            while (bin < edges.Length && l >= edges[bin]) bin++;
            return Name(bin);
        }).ToArray();
    }
}
