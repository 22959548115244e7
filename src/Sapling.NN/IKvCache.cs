namespace Sapling.NN;

/// <summary>
/// Keys and values of earlier positions, as an attention layer sees them: where the new tokens sit, and attention of
/// new queries over everything cached plus the new keys. <see cref="KvCache"/> holds a batch that advances together
/// (one prompt, or left-padded prompts); a batch of independent sequences of different lengths (continuous batching)
/// implements the same two operations row by row, so a model has one forward pass for prefill, decode and batched
/// decode.
/// </summary>
public interface IKvCache
{
    /// <summary>Positions stored (for a batch of independent sequences, the longest one's).</summary>
    int Length { get; }

    /// <summary>Positions a sequence may reach.</summary>
    int MaxLength { get; }

    /// <summary>
    /// The positions of <paramref name="t"/> new tokens in each of <paramref name="batch"/> rows, row-major [batch·t].
    /// <paramref name="leftPadding"/> (a prefill of prompts of different lengths) is remembered for later steps.
    /// </summary>
    long[] Positions(int batch, int t, int[]? leftPadding);

    /// <summary>
    /// Stores this step's keys and values [B, KV heads, T, d] for <paramref name="layer"/> and returns causal attention
    /// [B, heads, T, d] of <paramref name="q"/> over every cached key and the new ones (the last <paramref name="window"/>
    /// of them when positive). The last layer of a pass advances <see cref="Length"/>.
    /// </summary>
    Tensor Attend(int layer, Tensor q, Tensor k, Tensor v, int window = 0);
}
