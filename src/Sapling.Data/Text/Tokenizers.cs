using System.Text.Json.Nodes;
using Sapling.Data.Text.Tokenization;

namespace Sapling.Data.Text;

/// <summary>Opens a tokenizer.json whatever kind of model and pipeline it holds.</summary>
public static class Tokenizers
{
    /// <summary>
    /// A SentencePiece model file (.model, .spm) is read as <see cref="SentencePieceModel"/>. Sapling's own two layouts (a character vocabulary, GPT-2's byte-level BPE) load as <see cref="CharTokenizer"/>
    /// and <see cref="ByteLevelBpe"/>; every other Hugging Face tokenizer.json runs through <see cref="PipelineTokenizer"/>,
    /// which refuses, by JSON path, any component it does not implement.
    /// </summary>
    public static ITokenizer Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"tokenizer '{path}' not found", path);
        // A SentencePiece model file (spiece.model, tokenizer.model, Marian's .spm) is protobuf, not JSON.
        if (path.EndsWith(".model", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".spm", StringComparison.OrdinalIgnoreCase))
            return SentencePieceModel.Read(path).ToTokenizer(path);
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(File.ReadAllText(path), documentOptions: PipelineTokenizer.StrictJson);
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new InvalidDataException($"{path}: not valid JSON ({e.Message})", e);
        }
        if (root is not JsonObject top) throw new InvalidDataException($"{path}: the top level must be a JSON object (a Hugging Face tokenizer.json)");
        if (top["model"] is not JsonObject model) throw new InvalidDataException($"{path}: no model.type, as there is no \"model\" object (not a Hugging Face tokenizer.json)");
        var type = model["type"] is JsonValue v && v.TryGetValue(out string? t) ? t : null;
        if (type == "WordLevel" && Follows(() => TokenizerPipelineCheck.CharacterVocabulary(top, path)) && PlainSpecialTokens(top)) return CharTokenizer.Load(path);
        if (type == "BPE" && Follows(() => TokenizerPipelineCheck.ByteLevelBpe(top, path)) && PlainSpecialTokens(top)) return ByteLevelBpe.Load(path);
        return PipelineTokenizer.Load(top, path);
    }

    // Sapling's own two match their added tokens as plain special tokens: none may be ordinary or strip whitespace.
    private static bool PlainSpecialTokens(JsonObject top)
    {
        if (top["added_tokens"] is null) return true;
        if (top["added_tokens"] is not JsonArray added) return false;
        foreach (var entry in added)
        {
            if (entry is not JsonObject e) return false;
            bool Flag(string key) => e[key] is JsonValue f && f.TryGetValue(out bool b) && b;
            if (!Flag("special") || Flag("single_word") || Flag("lstrip") || Flag("rstrip")) return false;
        }
        return true;
    }

    private static bool Follows(Action check)
    {
        try
        {
            check();
            return true;
        }
        catch (Exception e) when (e is InvalidDataException or InvalidOperationException or FormatException)
        {
            return false;
        }
    }
}
