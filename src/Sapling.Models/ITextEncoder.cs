namespace Sapling.Models;

/// <summary>A bidirectional text encoder (BERT, RoBERTa, DistilBERT): what sentence embeddings and search need from it.</summary>
public interface ITextEncoder
{
    /// <summary>The config's model_type ("bert", "roberta", "distilbert").</summary>
    string ModelType { get; }

    /// <summary>Width of each token's state.</summary>
    int HiddenSize { get; }

    /// <summary>The longest input in tokens, special tokens included.</summary>
    int MaxTokens { get; }

    /// <summary>Last hidden states [B, T, H] for ids [B, T] (int64) and an attention mask [B, T] (1 real, 0 padding).</summary>
    Tensor Encode(Tensor inputIds, Tensor attentionMask);
}
