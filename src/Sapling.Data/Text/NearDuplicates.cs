namespace Sapling.Data.Text;

/// <summary>
/// Removes exact copies (by a 64-bit hash of the text) and near copies: each document's set of character 5-grams is
/// summarised by a MinHash signature, signatures are banded for locality-sensitive hashing, and a document whose
/// estimated Jaccard similarity to an earlier candidate reaches the threshold is dropped. Memory grows with the
/// number of kept documents (a signature each), not with their text.
/// </summary>
public sealed class NearDuplicates
{
    private const int ShingleLength = 5;
    private readonly int permutations;
    private readonly int bands;
    private readonly int rows;
    private readonly double threshold;
    private readonly ulong[] seeds;
    private readonly HashSet<ulong> exact = new();
    private readonly Dictionary<(int Band, ulong Key), List<int>> buckets = new();
    private readonly List<uint[]> signatures = new();

    /// <summary>
    /// Creates an empty filter; the hash seeds are fixed, so the same corpus gives the same result on every run.
    /// </summary>
    /// <param name="threshold">Estimated Jaccard similarity of 5-gram sets at which a document counts as a copy, in (0,
    /// 1].</param>
    /// <param name="permutations">MinHash signature length; more gives a finer estimate. Must divide into
    /// <paramref name="bands"/>.</param>
    /// <param name="bands">LSH bands: documents sharing one band's hash become candidates; more bands find lower
    /// similarities.</param>
    public NearDuplicates(double threshold = 0.8, int permutations = 128, int bands = 16)
    {
        if (threshold is <= 0 or > 1) throw new ArgumentOutOfRangeException(nameof(threshold), $"Jaccard threshold must be in (0, 1], got {threshold}");
        if (permutations % bands != 0) throw new ArgumentException($"{permutations} permutations do not split into {bands} bands");
        (this.threshold, this.permutations, this.bands, rows) = (threshold, permutations, bands, permutations / bands);
        var g = new Generator(0xD0D0);
        seeds = new ulong[permutations];
        for (int i = 0; i < permutations; i++) seeds[i] = g.NextUInt64() | 1;
    }

    /// <summary>How many documents <see cref="Add"/> refused as exact copies so far.</summary>
    public long ExactDuplicates { get; private set; }
    /// <summary>How many documents <see cref="Add"/> refused as near copies so far.</summary>
    public long NearDuplicateCount { get; private set; }

    /// <summary>True when the document is new (and remembers it); false for an exact or near copy of an earlier one.</summary>
    public bool Add(string document)
    {
        if (!exact.Add(Hash(document.AsSpan())))
        {
            ExactDuplicates++;
            return false;
        }
        var signature = Signature(document);
        var candidates = new HashSet<int>();
        for (int b = 0; b < bands; b++)
            if (buckets.TryGetValue((b, BandKey(signature, b)), out var list)) candidates.UnionWith(list);
        foreach (int c in candidates)
        {
            if (Similarity(signature, signatures[c]) >= threshold)
            {
                NearDuplicateCount++;
                return false;
            }
        }
        int id = signatures.Count;
        signatures.Add(signature);
        for (int b = 0; b < bands; b++)
        {
            var key = (b, BandKey(signature, b));
            if (!buckets.TryGetValue(key, out var list)) buckets[key] = list = new List<int>();
            list.Add(id);
        }
        return true;
    }

    /// <summary>Estimated Jaccard similarity of two documents' 5-gram sets.</summary>
    public double EstimateJaccard(string a, string b) => Similarity(Signature(a), Signature(b));

    private uint[] Signature(string document)
    {
        var sig = new uint[permutations];
        Array.Fill(sig, uint.MaxValue);
        var runes = document.EnumerateRunes().Select(r => r.Value).ToArray();
        int count = Math.Max(1, runes.Length - ShingleLength + 1);
        for (int s = 0; s < count; s++)
        {
            int len = Math.Min(ShingleLength, runes.Length - s);
            ulong h = 1469598103934665603UL;
            for (int k = 0; k < len; k++) h = (h ^ (uint)runes[s + k]) * 1099511628211UL;
            h = Mix(h);
            for (int p = 0; p < permutations; p++)
            {
                uint v = (uint)((h * seeds[p]) >> 32);
                if (v < sig[p]) sig[p] = v;
            }
        }
        return sig;
    }

    /// <summary>FNV-1a over the UTF-16 text, finished with a SplitMix step so nearby texts spread over all 64 bits.</summary>
    private static ulong Hash(ReadOnlySpan<char> text)
    {
        ulong h = 1469598103934665603UL;
        foreach (char c in text) h = (h ^ c) * 1099511628211UL;
        return Mix(h);
    }

    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    private ulong BandKey(uint[] signature, int band)
    {
        ulong key = 1469598103934665603UL;
        for (int r = 0; r < rows; r++) key = (key ^ signature[band * rows + r]) * 1099511628211UL;
        return key;
    }

    private double Similarity(uint[] a, uint[] b)
    {
        int same = 0;
        for (int i = 0; i < permutations; i++) if (a[i] == b[i]) same++;
        return (double)same / permutations;
    }
}
