using System.Text.Json;

namespace Sapling.Text;

/// <summary>Opens a tokenizer.json whatever kind of model it holds.</summary>
public static class Tokenizers
{
    public static ITokenizer Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"tokenizer '{path}' not found", path);
        string? type;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(path));
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"{path}: the top level must be a JSON object (a Hugging Face tokenizer.json)");
            var hasModel = doc.RootElement.TryGetProperty("model", out var model) && model.ValueKind == JsonValueKind.Object;
            type = hasModel && model.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
            // Older BPE files leave the type out; their merges give them away.
            if (type == null && hasModel && model.TryGetProperty("merges", out _)) type = "BPE";
            if (!hasModel) throw new InvalidDataException($"{path}: no model.type, as there is no \"model\" object (not a Hugging Face tokenizer.json)");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not valid JSON ({e.Message})", e);
        }
        return type switch
        {
            "WordLevel" => CharTokenizer.Load(path),
            "BPE" => ByteLevelBpe.Load(path),
            null => throw new InvalidDataException($"{path}: no model.type (not a Hugging Face tokenizer.json)"),
            _ => throw new InvalidDataException($"{path}: tokenizer model type '{type}' is not supported (WordLevel character vocabularies and byte-level BPE are)"),
        };
    }
}
