namespace Sapling.Data.Text;

/// <summary>Which cleaning rules run, and the length limits for documents to keep.</summary>
public sealed record CleaningOptions
{
    /// <summary>
    /// Whether text is NFKC-normalised (full-width letters, ligatures and the like to their plain forms); on by
    /// default.
    /// </summary>
    public bool Nfkc { get; init; } = true;
    /// <summary>Documents with fewer code points than this after cleaning are dropped; 10 by default.</summary>
    public int MinCharacters { get; init; } = 10;
    /// <summary>Documents with more code points than this after cleaning are dropped; 100,000 by default.</summary>
    public int MaxCharacters { get; init; } = 100_000;

    /// <summary>Documents with more than this fraction of U+FFFD or typical mojibake sequences are dropped.</summary>
    public double MaxBrokenFraction { get; init; } = 0.01;
}
