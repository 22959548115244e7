namespace Sapling.Training.Evaluation;

/// <summary>Settings of <see cref="Bleu"/>; the defaults are NLTK's (BLEU-4, uniform weights, no smoothing).</summary>
public sealed record BleuOptions
{
    /// <summary>Weight of each n-gram order's log precision, unigrams first; the length sets the highest order.</summary>
    public IReadOnlyList<double> Weights { get; init; } = [0.25, 0.25, 0.25, 0.25];

    /// <summary>How orders without a match are smoothed (default none, as NLTK).</summary>
    public BleuSmoothing Smoothing { get; init; } = BleuSmoothing.None;

    /// <summary>Matches given to an empty order by <see cref="BleuSmoothing.Epsilon"/> (NLTK's default 0.1).</summary>
    public double Epsilon { get; init; } = 0.1;

    /// <summary>The divisor k of <see cref="BleuSmoothing.ChenCherry4"/> (NLTK's default 5).</summary>
    public double K { get; init; } = 5;

    /// <summary>Uniform weights up to <paramref name="maxOrder"/>: BLEU-2, BLEU-3 and so on.</summary>
    public static BleuOptions UpTo(int maxOrder, BleuSmoothing smoothing = BleuSmoothing.None)
    {
        if (maxOrder < 1) throw new ArgumentOutOfRangeException(nameof(maxOrder), maxOrder, "BLEU needs at least unigrams");
        return new BleuOptions { Weights = Enumerable.Repeat(1.0 / maxOrder, maxOrder).ToArray(), Smoothing = smoothing };
    }
}
