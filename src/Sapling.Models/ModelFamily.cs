namespace Sapling.Models;

/// <summary>
/// One entry of the <see cref="ModelRegistry"/>: a config.json <c>model_type</c> and how to load a folder of it.
/// </summary>
/// <param name="ModelType">config.json's model_type.</param>
/// <param name="Kind">What the folder holds by default (a sequence-classification architecture may change it).</param>
/// <param name="LoadLanguageModel">Loads a causal language model; null for families that are not one.</param>
public sealed record ModelFamily(string ModelType, ModelKind Kind, Func<string, WeightStorage, ICausalLM>? LoadLanguageModel)
{
    /// <summary>Loads a folder holding the family's sequence classifier (its head included); null when it has none.</summary>
    public Func<string, ISequenceClassifier>? LoadSequenceClassifier { get; init; }

    /// <summary>Loads a folder's pretrained body and puts a new classification head on it (fine-tuning starts here).</summary>
    public Func<string, NewClassifierHead, ISequenceClassifier>? NewSequenceClassifier { get; init; }

    /// <summary>Loads an encoder-decoder (sequence-to-sequence) model; null for families that are not one.</summary>
    public Func<string, WeightStorage, ISeq2SeqLM>? LoadSeq2SeqLM { get; init; }

    /// <summary>Loads a folder holding the family's token classifier (its head included); null when it has none.</summary>
    public Func<string, ITokenClassifier>? LoadTokenClassifier { get; init; }

    /// <summary>Loads a folder's pretrained body and puts a new token-classification head on it (the pooling is unused).</summary>
    public Func<string, NewClassifierHead, ITokenClassifier>? NewTokenClassifier { get; init; }
}
