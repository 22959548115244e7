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

    /// <summary>Longest source in tokens (the encoder's position limit; null: no limit but memory).</summary>
    int? MaxSourceLength { get; }

    /// <summary>Longest target in tokens (the decoder's position limit; null: no limit but memory).</summary>
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
