namespace Sapling.Inference;

/// <summary>How to pick each next token.</summary>
public sealed record SamplingOptions
{
    /// <summary>Tokens to generate at most (0: none).</summary>
    public int MaxNewTokens { get; init; } = 64;

    /// <summary>0 picks the most likely token (greedy); higher values flatten the distribution.</summary>
    public float Temperature { get; init; } = 1f;

    /// <summary>Sample only among the k most likely tokens (0: all).</summary>
    public int TopK { get; init; }

    /// <summary>Sample only from the smallest set of tokens whose probabilities add up to p (1: all).</summary>
    public float TopP { get; init; } = 1f;

    /// <summary>Divides positive logits (multiplies negative ones) of tokens already present, as in CTRL and Hugging Face.</summary>
    public float RepetitionPenalty { get; init; } = 1f;

    /// <summary>
    /// Seed of the random stream that sampling draws from; the same seed and options repeat a generation.
    /// </summary>
    public ulong Seed { get; init; }

    /// <summary>Generation ends after any of these tokens (which is kept in the output).</summary>
    public IReadOnlySet<int> StopIds { get; init; } = new HashSet<int>();

    /// <summary>
    /// Refuses negative token counts, temperatures and top-k, top-p outside (0, 1], a repetition penalty that is not
    /// positive, and NaN or infinite temperatures and penalties, with an <see cref="ArgumentOutOfRangeException"/>.
    /// </summary>
    public void Validate()
    {
        if (MaxNewTokens < 0) throw new ArgumentOutOfRangeException(nameof(MaxNewTokens), $"max new tokens must be ≥ 0, got {MaxNewTokens}");
        if (!(Temperature >= 0) || !float.IsFinite(Temperature)) throw new ArgumentOutOfRangeException(nameof(Temperature), $"temperature must be a finite number ≥ 0, got {Temperature}");
        if (!(TopP > 0 && TopP <= 1)) throw new ArgumentOutOfRangeException(nameof(TopP), $"top-p must be in (0, 1], got {TopP}");
        if (TopK < 0) throw new ArgumentOutOfRangeException(nameof(TopK), $"top-k must be ≥ 0, got {TopK}");
        if (!(RepetitionPenalty > 0) || !float.IsFinite(RepetitionPenalty)) throw new ArgumentOutOfRangeException(nameof(RepetitionPenalty), $"repetition penalty must be a finite positive number, got {RepetitionPenalty}");
    }
}
