using Sapling.NN;

namespace Sapling.Models;

/// <summary>
/// A decoder that predicts the next token (GPT-2, Llama, Mistral, Qwen): what generation, chat, serving and
/// perplexity need from a model, whatever its family.
/// </summary>
public interface ICausalLM : ITrainableModel
{
    /// <summary>Width of the output layer.</summary>
    int VocabSize { get; }

    /// <summary>The config's end-of-sequence ids (empty when it names none).</summary>
    IReadOnlyList<int> EosTokenIds { get; }

    /// <summary>Positions of the context taken by trained virtual tokens in front of every input (prompt tuning).</summary>
    int VirtualTokens => 0;

    /// <summary>
    /// Grows the vocabulary to <paramref name="vocabSize"/> rows (a chat template's special tokens added for SFT): the
    /// embedding and an untied output layer keep their rows, new rows start at the mean of the old.
    /// </summary>
    void ResizeTokenEmbeddings(int vocabSize);

    /// <summary>
    /// Logits [B, T, vocab] for ids [B, T] (int64). With a cache, the ids are the positions after those cached.
    /// <paramref name="leftPadding"/> gives, per batch row, how many leading tokens are padding.
    /// </summary>
    Tensor Forward(Tensor ids, IKvCache? cache = null, int[]? leftPadding = null);

    /// <summary>
    /// Cross-entropy of the model's predictions for <paramref name="ids"/> [B, T] against <paramref name="targets"/>
    /// [B, T] (mean or sum over the targets that are not <paramref name="ignoreIndex"/>), computed through
    /// <see cref="Tensor.LinearCrossEntropy"/> so that a large vocabulary's [B·T, vocab] logits never exist at once.
    /// </summary>
    Tensor NextTokenLoss(Tensor ids, Tensor targets, Reduction reduction = Reduction.Mean, long ignoreIndex = -100);

    /// <summary>Logits [B, vocab] of the last position only: the output layer runs on one row per sequence.</summary>
    Tensor LastPositionLogits(Tensor ids, IKvCache? cache = null, int[]? leftPadding = null);

    /// <summary>A cache for <paramref name="batch"/> sequences of up to <paramref name="maxLength"/> positions.</summary>
    KvCache NewCache(int batch, int maxLength);
}
