using Sapling.Models;
using Sapling.Data.Text;
using Sapling.Data.Text.Tokenization;

namespace Sapling.Inference;

/// <summary>How a prompt becomes ids, and which ids end a generation, for any model and its tokenizer.</summary>
public static class PromptTokens
{
    /// <summary>
    /// A Hugging Face tokenizer.json adds what its post-processor says (Llama's begin-of-text, nothing for Qwen);
    /// Sapling's own tokenizers start a document with their end-of-text token, as their models were trained.
    /// </summary>
    public static int[] Encode(ITokenizer tokenizer, string text) =>
        tokenizer is PipelineTokenizer ? tokenizer.Encode(text, addSpecialTokens: true) : [tokenizer.EndOfTextId, .. tokenizer.Encode(text)];

    /// <summary>
    /// The ids that end a sequence: the config's eos_token_id(s), generation_config.json's, and the tokenizer's
    /// end-of-text token.
    /// </summary>
    public static HashSet<int> StopIds(ICausalLM model, ITokenizer? tokenizer, GenerationConfig? generation)
    {
        var stops = new HashSet<int>(model.EosTokenIds);
        if (generation != null) stops.UnionWith(generation.EosTokenIds);
        if (tokenizer != null && tokenizer.EndOfTextId >= 0) stops.Add(tokenizer.EndOfTextId);
        return stops;
    }
}
