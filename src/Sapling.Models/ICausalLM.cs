using Sapling.NN;

namespace Sapling.Models;

/// <summary>
/// A decoder that predicts the next token (GPT-2, Llama, Mistral, Qwen): what generation, chat, serving and
/// perplexity need from a model, whatever its family.
/// </summary>
public interface ICausalLM
{
    /// <summary>The config's model_type ("gpt2", "llama", "qwen2", ...).</summary>
    string ModelType { get; }

    /// <summary>Width of the output layer.</summary>
    int VocabSize { get; }

    /// <summary>Longest sequence the model attends over (its position limit).</summary>
    int ContextLength { get; }

    /// <summary>The config's end-of-sequence ids (empty when it names none).</summary>
    IReadOnlyList<int> EosTokenIds { get; }

    /// <summary>The model as a module: parameters, train/eval mode.</summary>
    Module Network { get; }

    /// <summary>Decoder layers and the width of the residual stream (for FLOP counts and layer-wise settings).</summary>
    int NumLayers { get; }

    int HiddenSize { get; }

    /// <summary>Positions of the context taken by trained virtual tokens in front of every input (prompt tuning).</summary>
    int VirtualTokens => 0;

    /// <summary>
    /// Recompute each decoder layer's activations in backward instead of keeping them (transformers'
    /// gradient_checkpointing_enable): training memory holds one layer's activations, for one more forward pass.
    /// </summary>
    bool GradientCheckpointing { get; set; }

    /// <summary>
    /// Grows the vocabulary to <paramref name="vocabSize"/> rows (a chat template's special tokens added for SFT): the
    /// embedding and an untied output layer keep their rows, new rows start at the mean of the old.
    /// </summary>
    void ResizeTokenEmbeddings(int vocabSize);

    /// <summary>Writes the model's folder (config.json and safetensors in its family's names), atomically.</summary>
    void Save(string directory);

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
