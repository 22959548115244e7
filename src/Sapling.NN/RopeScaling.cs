namespace Sapling.NN;

/// <summary>
/// The <c>rope_scaling</c> (or <c>rope_parameters</c>) entry of a Hugging Face config. Unset numbers take
/// transformers' defaults where <see cref="RotaryEmbedding"/> reads them.
/// </summary>
public sealed record RopeScaling
{
    public RopeType Type { get; init; } = RopeType.Default;
    public double Factor { get; init; } = 1.0;

    /// <summary>The context the model was pre-trained with (llama3, yarn, dynamic); null takes max_position_embeddings.</summary>
    public int? OriginalMaxPositionEmbeddings { get; init; }

    public double LowFreqFactor { get; init; } = 1.0;
    public double HighFreqFactor { get; init; } = 4.0;
    public double BetaFast { get; init; } = 32.0;
    public double BetaSlow { get; init; } = 1.0;
    public double? Mscale { get; init; }
    public double? MscaleAllDim { get; init; }
    public double? AttentionFactor { get; init; }

    /// <summary>YaRN: round the correction range to whole dimensions (transformers' default).</summary>
    public bool Truncate { get; init; } = true;

    public static RopeScaling None { get; } = new();
}
