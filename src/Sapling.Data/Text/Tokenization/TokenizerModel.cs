using System.Text.Json.Nodes;
using Sapling.Data.Json;

namespace Sapling.Data.Text.Tokenization;

/// <summary>A tokenizer.json model: turns one pre-tokenised word into ids (BPE, WordPiece, Unigram or WordLevel).</summary>
internal abstract class TokenizerModel
{
    /// <summary>Appends the ids of one non-empty word.</summary>
    public abstract void Tokenize(ReadOnlySpan<char> word, List<int> ids);

    /// <summary>
    /// Appends the pieces of one non-empty word as text: a known piece's own text, an unknown stretch as it is written
    /// (SentencePiece's encode with out_type=str, which Marian's tokenizer looks up in its own vocabulary).
    /// </summary>
    public virtual void TokenizePieces(ReadOnlySpan<char> word, List<string> pieces)
    {
        var ids = new List<int>();
        Tokenize(word, ids);
        foreach (int id in ids) pieces.Add(TokenOf(id) ?? throw new InvalidOperationException($"token id {id} has no text"));
    }

    public abstract bool TryGetId(string token, out int id);

    /// <summary>The token of an id, or null when the model has none.</summary>
    public abstract string? TokenOf(int id);

    /// <summary>One more than the largest id.</summary>
    public abstract int IdLimit { get; }

    public static TokenizerModel Read(JsonSection s)
    {
        // Files from before model types were written leave BPE untagged; its merges give it away.
        var type = s.OptionalString("type") ?? (s.Has("merges") ? "BPE" : s.Has("vocab") && s.Node["vocab"] is JsonArray ? "Unigram" : null);
        return type switch
        {
            "BPE" => BpeModel.FromJson(s),
            "WordPiece" => WordPieceModel.FromJson(s),
            "Unigram" => UnigramModel.FromJson(s),
            "WordLevel" => WordLevelModel.FromJson(s),
            null => throw s.Error("type", "missing; the model must be BPE, WordPiece, Unigram or WordLevel"),
            _ => throw s.Error("type", $"model '{type}' is not supported (BPE, WordPiece, Unigram and WordLevel are)"),
        };
    }

    /// <summary>A token → id object, checked: ids are non-negative and each given once.</summary>
    protected static (Dictionary<string, int> Ids, string?[] Tokens) ReadVocabulary(JsonSection s, string key = "vocab")
    {
        var vocab = s.Node[key] as JsonObject ?? throw s.Error(key, s.Has(key) ? "is not an object of token → id" : "missing");
        var ids = new Dictionary<string, int>(vocab.Count, StringComparer.Ordinal);
        int limit = 0;
        foreach (var (token, node) in vocab)
        {
            if (!JsonSection.TryGetInteger(node, out long id) || id < 0 || id > int.MaxValue - 1)
                throw s.Error($"{key}[\"{token}\"]", $"is {JsonSection.Describe(node)}, not a non-negative integer id");
            ids[token] = (int)id;
            limit = Math.Max(limit, (int)id + 1);
        }
        if (limit > 16 * (vocab.Count + 1024)) throw s.Error(key, $"ids reach {limit - 1} for {vocab.Count} tokens; the vocabulary is too sparse to be real");
        var tokens = new string?[limit];
        foreach (var (token, id) in ids)
        {
            if (tokens[id] != null) throw s.Error($"{key}[\"{token}\"]", $"id {id} is also given to '{tokens[id]}'");
            tokens[id] = token;
        }
        return (ids, tokens);
    }
}
