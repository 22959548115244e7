using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Sapling.Data.Text;

/// <summary>What every tokenizer.json writer shares: readable non-ASCII output and an atomic write.</summary>
internal static class TokenizerJson
{
    /// <summary>
    /// The whole tokenizer.json document in Hugging Face's field order: special tokens (as added_tokens), the
    /// pipeline steps and the model, serialised for writing.
    /// </summary>
    public static string Document(IEnumerable<(int Id, string Content)> specialTokens, JsonNode? preTokenizer, JsonNode? postProcessor, JsonNode? decoder, JsonObject model)
    {
        var added = new JsonArray();
        foreach (var (id, content) in specialTokens)
            added.Add(new JsonObject
            {
                ["id"] = id, ["content"] = content, ["single_word"] = false, ["lstrip"] = false,
                ["rstrip"] = false, ["normalized"] = false, ["special"] = true,
            });
        return Serialize(new JsonObject
        {
            ["version"] = "1.0",
            ["truncation"] = null,
            ["padding"] = null,
            ["added_tokens"] = added,
            ["normalizer"] = null,
            ["pre_tokenizer"] = preTokenizer,
            ["post_processor"] = postProcessor,
            ["decoder"] = decoder,
            ["model"] = model,
        });
    }

    public static string Serialize(JsonObject root) => root.ToJsonString(new JsonSerializerOptions
    {
        WriteIndented = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });

    /// <summary>Writes through a temporary file beside the target, so a crash never leaves half a vocabulary.</summary>
    public static void Write(string path, string json) => Write(path, new UTF8Encoding(false).GetBytes(json));

    /// <summary>Writes a tokenizer file through a temporary file and a rename, so a reader never sees half of it.</summary>
    public static void Write(string path, byte[] bytes)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(directory);
        var temp = Path.Combine(directory, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        File.WriteAllBytes(temp, bytes);
        File.Move(temp, path, overwrite: true);
    }
}
