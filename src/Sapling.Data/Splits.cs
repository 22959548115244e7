namespace Sapling.Data;

/// <summary>Train/validation/test index splits that keep each class's share (stratified), with a seed.</summary>
public static class Splits
{
    /// <summary>
    /// Splits example indices into parts of the given fractions (which must sum to 1) class by class, so every part
    /// has about the same class proportions. Each part's indices are sorted.
    /// </summary>
    public static long[][] Stratified(long[] labels, double[] fractions, ulong seed)
    {
        if (fractions.Length == 0 || fractions.Any(f => f < 0) || Math.Abs(fractions.Sum() - 1) > 1e-6)
            throw new ArgumentException($"split fractions must be non-negative and sum to 1, got [{string.Join(", ", fractions)}]");
        var parts = fractions.Select(_ => new List<long>()).ToArray();
        var g = new Generator(seed);
        foreach (var group in Enumerable.Range(0, labels.Length).GroupBy(i => labels[i]).OrderBy(grp => grp.Key))
        {
            var members = group.Select(i => (long)i).ToArray();
            for (int i = members.Length - 1; i > 0; i--)
            {
                int j = (int)g.NextInt64(0, i + 1);
                (members[i], members[j]) = (members[j], members[i]);
            }
            // Largest-remainder rounding keeps the per-class counts summing to the class size.
            var exact = fractions.Select(f => f * members.Length).ToArray();
            var counts = exact.Select(e => (int)Math.Floor(e)).ToArray();
            int left = members.Length - counts.Sum();
            foreach (int k in Enumerable.Range(0, fractions.Length).OrderByDescending(k => exact[k] - counts[k]).ThenBy(k => k).Take(left)) counts[k]++;
            int at = 0;
            for (int k = 0; k < parts.Length; k++)
            {
                parts[k].AddRange(members.Skip(at).Take(counts[k]));
                at += counts[k];
            }
        }
        return parts.Select(p => p.OrderBy(i => i).ToArray()).ToArray();
    }

    /// <summary>Plain random split without regard to labels.</summary>
    public static long[][] Random(int count, double[] fractions, ulong seed) => Stratified(new long[count], fractions, seed);
}
