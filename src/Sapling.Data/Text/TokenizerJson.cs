using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Sapling.Text;

/// <summary>What every tokenizer.json writer shares: readable non-ASCII output and an atomic write.</summary>
internal static class TokenizerJson
{
    public static string Serialize(JsonObject root) => root.ToJsonString(new JsonSerializerOptions
    {
        WriteIndented = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });

    /// <summary>Writes through a temporary file beside the target, so a crash never leaves half a vocabulary.</summary>
    public static void Write(string path, string json)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(directory);
        var temp = Path.Combine(directory, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        File.WriteAllText(temp, json, new UTF8Encoding(false));
        File.Move(temp, path, overwrite: true);
    }
}
