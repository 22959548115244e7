using System.Text.Json.Nodes;

namespace Sapling.Data.Text;

/// <summary>
/// Refuses tokenizer.json pipelines that Sapling's tokenizers would not follow. They implement two pipelines: a
/// character vocabulary (WordLevel over a split into single characters, as Sapling writes it) and GPT-2's
/// byte-level BPE. Any other normalizer, pre-tokenizer, post-processor or model option would be ignored and give
/// ids that differ from Hugging Face's, so it is named and refused instead.
/// </summary>
internal static class TokenizerPipelineCheck
{
    public static void CharacterVocabulary(JsonNode root, string path)
    {
        RequireNone(root, "normalizer", path, "a character vocabulary");
        var pre = root["pre_tokenizer"];
        bool splitsCharacters = pre is JsonObject p && Type(p) == "Split" && p["pattern"]?["Regex"]?.GetValue<string>() == "."
            && (p["behavior"]?.GetValue<string>() ?? "Isolated") == "Isolated" && p["invert"]?.GetValue<bool>() != true;
        if (!splitsCharacters)
            throw new InvalidDataException($"{path}: pre_tokenizer {Describe(pre)} is not supported with a WordLevel model; Sapling reads WordLevel vocabularies over single characters (a Split on the regex \".\"), so its ids would differ from Hugging Face's");
        RequireNone(root, "post_processor", path, "a character vocabulary");
    }

    public static void ByteLevelBpe(JsonNode root, string path)
    {
        RequireNone(root, "normalizer", path, "byte-level BPE");
        var pre = root["pre_tokenizer"];
        if (pre is not JsonObject p || Type(p) != "ByteLevel" || p["add_prefix_space"]?.GetValue<bool>() == true || p["use_regex"]?.GetValue<bool>() == false)
            throw new InvalidDataException($"{path}: pre_tokenizer {Describe(pre)} is not supported; Sapling's BPE follows GPT-2's pipeline (one ByteLevel pre-tokenizer with its regex and no prefix space), so its ids would differ from Hugging Face's");
        if (root["post_processor"] is JsonObject post && Type(post) != "ByteLevel")
            throw new InvalidDataException($"{path}: post_processor {Describe(post)} is not supported (it would add tokens Sapling does not add)");
        if (root["decoder"] is JsonObject decoder && Type(decoder) != "ByteLevel")
            throw new InvalidDataException($"{path}: decoder {Describe(decoder)} is not supported; byte-level BPE decodes with ByteLevel");
        var model = root["model"];
        if (model?["byte_fallback"]?.GetValue<bool>() == true) throw new InvalidDataException($"{path}: model.byte_fallback is not supported");
        if (model?["dropout"] is JsonValue dropout && dropout.GetValue<double>() != 0) throw new InvalidDataException($"{path}: model.dropout (BPE dropout) is not supported");
        foreach (var key in new[] { "continuing_subword_prefix", "end_of_word_suffix" })
            if (model?[key]?.GetValue<string>() is { Length: > 0 } affix) throw new InvalidDataException($"{path}: model.{key} '{affix}' is not supported");
    }

    private static void RequireNone(JsonNode root, string component, string path, string what)
    {
        if (root[component] is JsonObject present)
            throw new InvalidDataException($"{path}: {component} {Describe(present)} is not supported for {what}; Sapling would ignore it and give different ids");
    }

    private static string? Type(JsonObject o) => o["type"] is JsonValue v && v.TryGetValue(out string? s) ? s : null;

    private static string Describe(JsonNode? node) => node switch
    {
        null => "(none)",
        JsonObject o when Type(o) is { } type && type == "Sequence" && o["pretokenizers"] is JsonArray steps
            => $"Sequence[{string.Join(", ", steps.Select(s => s is JsonObject so ? Type(so) ?? "?" : "?"))}]",
        JsonObject o when Type(o) is { } type => type,
        _ => "of an unknown form",
    };
}
