
namespace Sapling.Models;

/// <summary>
/// The encoder's states [B, S, d] with the source's padding, read by every decoder step (cross-attention).
/// </summary>
public sealed class EncoderOutput
{
    /// <param name="mask">The padding of <paramref name="attentionMask"/> when the encoder already read it; computed otherwise.</param>
    public EncoderOutput(Tensor lastHiddenState, Tensor? attentionMask, PaddingMask? mask = null)
    {
        if (attentionMask != null && (attentionMask.Rank != 2 || attentionMask.Shape[0] != lastHiddenState.Shape[0] || attentionMask.Shape[1] != lastHiddenState.Shape[1]))
            throw new ArgumentException($"encoder output: attention mask {ShapeUtil.Format(attentionMask.Shape.ToArray())} does not match states {ShapeUtil.Format(lastHiddenState.Shape.ToArray())}");
        (LastHiddenState, AttentionMask) = (lastHiddenState, attentionMask);
        Mask = mask ?? PaddingMask.From(attentionMask);
    }

    /// <summary>[B, S, d]</summary>
    public Tensor LastHiddenState { get; }

    /// <summary>[B, S], 1 real and 0 padding; null when no row is padded.</summary>
    public Tensor? AttentionMask { get; }

    /// <summary>The padding in the forms attention reads.</summary>
    public PaddingMask? Mask { get; }

    /// <summary>Rows in the batch (B).</summary>
    public int Batch => LastHiddenState.Shape[0];

    /// <summary>Each row <paramref name="times"/> times in a row (beam search gives every beam its source's states); the
    /// copies belong to the enclosing <see cref="TensorScope"/>, as any op's result does.</summary>
    public EncoderOutput RepeatRows(int times)
    {
        if (times == 1) return this;
        var index = new long[Batch * times];
        for (int i = 0; i < index.Length; i++) index[i] = i / times;
        var rows = Tensor.FromArray(index, index.Length);
        using var _ = Autograd.NoGrad.Enter();
        return new EncoderOutput(LastHiddenState.IndexSelect(0, rows), AttentionMask?.IndexSelect(0, rows));
    }
}
