namespace Sapling.Models;

/// <summary>
/// One entry of the <see cref="ModelRegistry"/>: a config.json <c>model_type</c> and how to load a folder of it.
/// </summary>
/// <param name="ModelType">config.json's model_type.</param>
/// <param name="Kind">What the folder holds by default (a sequence-classification architecture may change it).</param>
/// <param name="LoadLanguageModel">Loads a causal language model; null for families that are not one.</param>
public sealed record ModelFamily(string ModelType, ModelKind Kind, Func<string, WeightStorage, ICausalLM>? LoadLanguageModel);
