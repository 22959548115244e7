namespace Sapling.Data.Text;

/// <summary>Which cleaning rules run, and the length limits for documents to keep.</summary>
public sealed record CleaningOptions
{
    public bool Nfkc { get; init; } = true;
    public int MinCharacters { get; init; } = 10;
    public int MaxCharacters { get; init; } = 100_000;

    /// <summary>Documents with more than this fraction of U+FFFD or typical mojibake sequences are dropped.</summary>
    public double MaxBrokenFraction { get; init; } = 0.01;
}
