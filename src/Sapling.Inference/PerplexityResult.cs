
namespace Sapling.Inference;

/// <summary>The result of <see cref="Perplexity.Windowed"/>: mean next-token loss, its exponential, and how many predictions.</summary>
public sealed record PerplexityResult(double Loss, long Predictions, int Windows)
{
    public double Value => Math.Exp(Loss);
}
