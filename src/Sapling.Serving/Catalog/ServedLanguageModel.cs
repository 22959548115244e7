using Sapling.Models.Gpt;
using Sapling.Text;

namespace Sapling.Serving.Catalog;

/// <summary>A GPT that completes text; it chats when its folder declares a chat template whose special tokens its tokenizer has.</summary>
public sealed class ServedLanguageModel(string id, string directory, GptModel model, ITokenizer tokenizer, ChatTemplate? chatTemplate)
    : ServedModel(id, directory)
{
    public GptModel Model { get; } = model;
    public ITokenizer Tokenizer { get; } = tokenizer;
    public ChatTemplate? ChatTemplate { get; } = chatTemplate;
    public bool HasChatTemplate => ChatTemplate != null;
    public int Context => Model.Config.NPositions - Model.VirtualTokens;

    /// <summary>
    /// Ids that sampling may pick: the tokenizer's, when the model's output layer is wider (padded vocabularies, as
    /// Qwen's); an id the tokenizer cannot decode is never generated.
    /// </summary>
    public int SampledVocabulary { get; } = Math.Min(model.Config.VocabSize, tokenizer.VocabSize);
    public override string Kind => "language-model";

    /// <summary>Tokens that end an answer: end-of-text, and for chat models the template's end-of-turn token.</summary>
    public IReadOnlySet<int> StopIds(bool chat) =>
        chat && ChatTemplate != null ? ChatTemplate.StopIds(Tokenizer) : new HashSet<int> { Tokenizer.EndOfTextId };
}
