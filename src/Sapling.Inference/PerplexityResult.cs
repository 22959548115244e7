
namespace Sapling.Inference;

/// <summary>The result of <see cref="Perplexity.Windowed"/>: mean next-token loss, its exponential, and how many predictions.</summary>
public sealed record PerplexityResult(double Loss, long Predictions, int Windows)
{
    /// <summary>The perplexity: exp(<see cref="Loss"/>); NaN when nothing was predicted.</summary>
    public double Value => Math.Exp(Loss);
}
