namespace Sapling.Federated;

/// <summary>
/// How the training examples are divided among clients (in a simulation; real clients each hold their own data).
/// IID: a stratified shuffle dealt out evenly. Dirichlet: for each class, the shares of its examples per client are
/// drawn from Dir(α, …, α), the usual label-skew benchmark for non-IID federated learning.
/// </summary>
public static class ShardSplit
{
    /// <summary>The clients' shards of the training split as the options ask (a simulation: real clients bring their own data).</summary>
    public static long[][] For(long[] labels, FederatedOptions options) => options.Split == FederatedSplit.Dirichlet
        ? Dirichlet(labels, options.Clients, options.Alpha, options.Seed)
        : Iid(labels, options.Clients, options.Seed);

    /// <summary>
    /// Near-equal shards with each client's label mix close to the whole: every class's shuffled examples are dealt
    /// round-robin. Returns each client's example indices, sorted.
    /// </summary>
    public static long[][] Iid(long[] labels, int clients, ulong seed)
    {
        var g = new Generator(seed);
        var shards = Enumerable.Range(0, clients).Select(_ => new List<long>()).ToArray();
        int next = 0;
        // Dealing each class's shuffled examples round-robin keeps every shard's label mix close to the whole.
        foreach (var members in ByClass(labels))
        {
            Shuffle(members, g);
            foreach (long i in members) shards[next++ % clients].Add(i);
        }
        return shards.Select(s => s.Order().ToArray()).ToArray();
    }

    /// <summary>
    /// Label-skewed shards: each class's examples are shuffled and cut among the clients in proportions drawn from
    /// Dir(<paramref name="alpha"/>). Returns each client's example indices, sorted; some may be empty.
    /// </summary>
    public static long[][] Dirichlet(long[] labels, int clients, double alpha, ulong seed)
    {
        var g = new Generator(seed);
        var shards = Enumerable.Range(0, clients).Select(_ => new List<long>()).ToArray();
        foreach (var members in ByClass(labels))
        {
            Shuffle(members, g);
            var shares = SampleDirichlet(clients, alpha, g);
            // Cumulative shares cut the class's examples into consecutive runs, one per client.
            double cumulative = 0;
            int start = 0;
            for (int c = 0; c < clients; c++)
            {
                cumulative += shares[c];
                int end = c == clients - 1 ? members.Length : (int)Math.Round(cumulative * members.Length);
                for (int i = start; i < end; i++) shards[c].Add(members[i]);
                start = Math.Max(start, end);
            }
        }
        return shards.Select(s => s.Order().ToArray()).ToArray();
    }

    /// <summary>A draw from Dir(α, …, α): independent Gamma(α) draws, normalised.</summary>
    public static double[] SampleDirichlet(int k, double alpha, Generator g)
    {
        var x = new double[k];
        double sum = 0;
        for (int i = 0; i < k; i++) sum += x[i] = SampleGamma(alpha, g);
        if (sum <= 0) return Enumerable.Repeat(1.0 / k, k).ToArray();
        for (int i = 0; i < k; i++) x[i] /= sum;
        return x;
    }

    /// <summary>Gamma(α, 1) by Marsaglia and Tsang's method; α &lt; 1 is boosted through Gamma(α + 1)·U^(1/α).</summary>
    public static double SampleGamma(double alpha, Generator g)
    {
        if (alpha < 1) return SampleGamma(alpha + 1, g) * Math.Pow(1 - g.NextDouble(), 1 / alpha);
        double d = alpha - 1.0 / 3, c = 1 / Math.Sqrt(9 * d);
        while (true)
        {
            double z, v;
            do
            {
                z = g.NextNormal();
                v = 1 + c * z;
            }
            while (v <= 0);
            v = v * v * v;
            double u = 1 - g.NextDouble();
            if (Math.Log(u) < 0.5 * z * z + d - d * v + d * Math.Log(v)) return d * v;
        }
    }

    private static IEnumerable<long[]> ByClass(long[] labels) =>
        labels.Select((label, i) => (label, i: (long)i)).GroupBy(p => p.label).OrderBy(grp => grp.Key).Select(grp => grp.Select(p => p.i).ToArray());

    private static void Shuffle(long[] items, Generator g)
    {
        for (int i = items.Length - 1; i > 0; i--)
        {
            int j = (int)(g.NextDouble() * (i + 1));
            (items[i], items[j]) = (items[j], items[i]);
        }
    }
}
