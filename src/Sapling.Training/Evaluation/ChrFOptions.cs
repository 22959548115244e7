namespace Sapling.Training.Evaluation;

/// <summary>
/// Settings of <see cref="ChrF"/>. Beta defaults to 2 (chrF2, the value of Popović 2016 and sacreBLEU); NLTK's own
/// default is 3, so set <see cref="Beta"/> = 3 to reproduce a bare <c>corpus_chrf</c> call.
/// </summary>
public sealed record ChrFOptions
{
    /// <summary>The lowest character n-gram order (default 1).</summary>
    public int MinOrder { get; init; } = 1;

    /// <summary>The highest character n-gram order (default 6).</summary>
    public int MaxOrder { get; init; } = 6;

    /// <summary>Recall counts beta times as much as precision.</summary>
    public double Beta { get; init; } = 2;

    /// <summary>Remove white space before counting character n-grams, as NLTK does (default true).</summary>
    public bool IgnoreWhitespace { get; init; } = true;
}
