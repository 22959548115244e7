using Sapling.NN;

namespace Sapling.Models;

/// <summary>
/// An encoder-decoder that writes a target sequence for a source sequence (BART, Marian, T5): what translation,
/// sequence-to-sequence training and generation need from a model, whatever its family.
/// </summary>
public interface ISeq2SeqLM : ITrainableModel
{
    /// <summary>Width of the output layer.</summary>
    int VocabSize { get; }

    /// <summary>The id that pads source and target batches.</summary>
    int PadTokenId { get; }

    /// <summary>The id that ends a target.</summary>
    int EosTokenId { get; }

    /// <summary>The decoder's first input for every target.</summary>
    int DecoderStartTokenId { get; }

    /// <summary>Longest source and longest target in tokens (their position limits; null: no limit but memory).</summary>
    int? MaxSourceLength { get; }

    int? MaxTargetLength { get; }

    /// <summary>The generation settings the config carries (forced first and last tokens, tokens never produced).</summary>
    Seq2SeqDefaults GenerationDefaults { get; }

    /// <summary>Runs the encoder once: source ids [B, S] (int64) with their attention mask [B, S] (1 real, 0 padding; null: no padding).</summary>
    EncoderOutput Encode(Tensor inputIds, Tensor? attentionMask = null);

    /// <summary>
    /// Logits [B, T, vocab] for decoder ids [B, T] given the encoder's output. With a cache, the ids are the positions
    /// after those it holds, and the encoder's keys and values are projected on the first call only.
    /// </summary>
    Tensor Decode(Tensor decoderIds, EncoderOutput encoderOutput, EncoderDecoderCache? cache = null);

    /// <summary>A cache for <paramref name="batch"/> targets of up to <paramref name="maxLength"/> positions.</summary>
    EncoderDecoderCache NewCache(int batch, int maxLength);
}

/// <summary>Generation settings a sequence-to-sequence config carries (transformers reads them from config.json).</summary>
/// <param name="ForcedBosTokenId">Forced as the first generated token (BART: bos); null: none.</param>
/// <param name="ForcedEosTokenId">Forced as the last token when a target reaches its length limit; null: none.</param>
/// <param name="BadWordIds">Tokens never generated (Marian: its pad).</param>
public sealed record Seq2SeqDefaults(int? ForcedBosTokenId, int? ForcedEosTokenId, IReadOnlyList<int> BadWordIds);

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

    public int Batch => LastHiddenState.Shape[0];

    /// <summary>Each row <paramref name="times"/> times in a row (beam search gives every beam its source's states).</summary>
    public EncoderOutput RepeatRows(int times)
    {
        if (times == 1) return this;
        var index = new long[Batch * times];
        for (int i = 0; i < index.Length; i++) index[i] = i / times;
        var rows = Tensor.FromArray(index, index.Length);
        using var _ = Autograd.NoGrad.Enter();
        return new EncoderOutput(LastHiddenState.IndexSelect(0, rows).KeepAlive(), AttentionMask?.IndexSelect(0, rows).KeepAlive());
    }
}
