using Sapling.Models;
using Sapling.Data.Text;

namespace Sapling.Serving.Catalog;

/// <summary>A language model that completes text; it chats when its folder declares a chat template whose special tokens its tokenizer has.</summary>
public sealed class ServedLanguageModel(string id, string directory, ICausalLM model, ITokenizer tokenizer, ChatTemplate? chatTemplate, IReadOnlySet<int>? eosIds = null)
    : ServedModel(id, directory)
{
    /// <summary>The loaded language model.</summary>
    public ICausalLM Model { get; } = model;
    /// <summary>The tokenizer prompts are encoded and answers decoded with.</summary>
    public ITokenizer Tokenizer { get; } = tokenizer;
    /// <summary>The chat template, or null when the model only completes text.</summary>
    public ChatTemplate? ChatTemplate { get; } = chatTemplate;
    /// <summary>Whether the model answers /v1/chat/completions.</summary>
    public bool HasChatTemplate => ChatTemplate != null;
    /// <summary>
    /// Positions a prompt and its answer may fill: the model's context less any prompt-tuning virtual tokens.
    /// </summary>
    public int Context => Model.ContextLength - Model.VirtualTokens;

    /// <summary>
    /// Ids that sampling may pick: the tokenizer's, when the model's output layer is wider (padded vocabularies, as
    /// Qwen's); an id the tokenizer cannot decode is never generated.
    /// </summary>
    public int SampledVocabulary { get; } = Math.Min(model.VocabSize, tokenizer.VocabSize);
    /// <inheritdoc/>
    public override string Kind => "language-model";

    /// <summary>
    /// Tokens that end an answer: end-of-text and the model's end-of-sequence ids (config.json, generation_config.json),
    /// and for chat models the template's end-of-turn token.
    /// </summary>
    public IReadOnlySet<int> StopIds(bool chat)
    {
        var stops = chat && ChatTemplate != null ? ChatTemplate.StopIds(Tokenizer) : new HashSet<int> { Tokenizer.EndOfTextId };
        if (eosIds != null) stops.UnionWith(eosIds);
        stops.Remove(-1);
        return stops;
    }
}
