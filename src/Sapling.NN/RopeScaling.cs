namespace Sapling.NN;

/// <summary>
/// The <c>rope_scaling</c> (or <c>rope_parameters</c>) entry of a Hugging Face config. Unset numbers take
/// transformers' defaults where <see cref="RotaryEmbedding"/> reads them.
/// </summary>
public sealed record RopeScaling
{
    /// <summary>
    /// Which frequency rule applies (<c>rope_type</c>, or the older <c>type</c>); <see cref="RopeType.Default"/> leaves
    /// them unchanged.
    /// </summary>
    public RopeType Type { get; init; } = RopeType.Default;
    /// <summary>How many times the original context the model is stretched to (<c>factor</c>); 1 by default.</summary>
    public double Factor { get; init; } = 1.0;

    /// <summary>The context the model was pre-trained with (llama3, yarn, dynamic); null takes max_position_embeddings.</summary>
    public int? OriginalMaxPositionEmbeddings { get; init; }

    /// <summary>Llama 3: wavelengths longer than original/low_freq_factor are fully scaled; 1 by default.</summary>
    public double LowFreqFactor { get; init; } = 1.0;
    /// <summary>Llama 3: wavelengths shorter than original/high_freq_factor are kept unscaled; 4 by default.</summary>
    public double HighFreqFactor { get; init; } = 4.0;
    /// <summary>
    /// YaRN: rotation count bounding the dimensions that keep their frequency (<c>beta_fast</c>); 32 by default.
    /// </summary>
    public double BetaFast { get; init; } = 32.0;
    /// <summary>
    /// YaRN: rotation count bounding the dimensions fully interpolated (<c>beta_slow</c>); 1 by default.
    /// </summary>
    public double BetaSlow { get; init; } = 1.0;
    /// <summary>
    /// YaRN: <c>mscale</c>; with <see cref="MscaleAllDim"/> it sets the attention factor when that is not given.
    /// </summary>
    public double? Mscale { get; init; }
    /// <summary>YaRN: <c>mscale_all_dim</c>; see <see cref="Mscale"/>.</summary>
    public double? MscaleAllDim { get; init; }
    /// <summary>
    /// YaRN: the factor cosines and sines are multiplied by; null derives it from the factor and mscale values.
    /// </summary>
    public double? AttentionFactor { get; init; }

    /// <summary>YaRN: round the correction range to whole dimensions (transformers' default).</summary>
    public bool Truncate { get; init; } = true;

    /// <summary>No scaling: the default rule with factor 1.</summary>
    public static RopeScaling None { get; } = new();
}
