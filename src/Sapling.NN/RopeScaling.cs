namespace Sapling.NN;

/// <summary>How rotary position frequencies are stretched for contexts longer than the model was trained on.</summary>
public enum RopeType
{
    /// <summary>θ_i = base^(−2i/d), unchanged.</summary>
    Default,
    /// <summary>Position interpolation (Chen et al., 2023): every frequency divided by the factor.</summary>
    Linear,
    /// <summary>Dynamic NTK scaling: the base grows with the sequence once it passes the original context.</summary>
    Dynamic,
    /// <summary>Llama 3.1's rule: low frequencies divided by the factor, high ones kept, a smooth ramp between.</summary>
    Llama3,
    /// <summary>YaRN (Peng et al., 2023): per-frequency ramp between interpolation and extrapolation, plus an attention factor.</summary>
    Yarn,
}

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
