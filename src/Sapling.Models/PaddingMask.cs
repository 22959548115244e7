namespace Sapling.Models;

/// <summary>
/// The padding of an encoder batch in the two forms attention reads it: an additive bias [B, 1, 1, T] (0 at real keys,
/// −10⁹ at padding) for the composed softmax, and, when every row is its real tokens followed by padding (how batches
/// are built), each row's length for the fused kernel, which then skips the padded keys altogether.
/// </summary>
public sealed class PaddingMask
{
    private PaddingMask(Tensor bias, int[]? keyLengths) => (Bias, KeyLengths) = (bias, keyLengths);

    /// <summary>[B, 1, 1, T]: 0 where a key may be attended to, a large negative number at padding.</summary>
    public Tensor Bias { get; }

    /// <summary>Real tokens per row when the mask is right padding; null for any other pattern.</summary>
    public int[]? KeyLengths { get; }

    /// <summary>The mask of an attention_mask [B, T] (1 real, 0 padding); null when there is none.</summary>
    public static PaddingMask? From(Tensor? attentionMask)
    {
        if (attentionMask == null) return null;
        int b = attentionMask.Shape[0], t = attentionMask.Shape[1];
        var values = attentionMask.To(DType.Float32).ToArray<float>();
        var lengths = new int[b];
        for (int r = 0; r < b && lengths != null; r++)
        {
            int n = 0;
            while (n < t && values[r * t + n] != 0f) n++;
            for (int j = n; j < t && lengths != null; j++)
                if (values[r * t + j] != 0f) lengths = null;
            if (lengths != null) lengths[r] = n;
        }
        for (int i = 0; i < values.Length; i++) values[i] = (values[i] - 1f) * 1e9f;
        return new PaddingMask(Tensor.FromArray(values, b, 1, 1, t), lengths);
    }
}
