using System.Text;
using System.Text.Json;

namespace Sapling.Data.Text;

/// <summary>Streams documents from the corpus layouts Sapling reads, one at a time, so corpora larger than memory work.</summary>
public static class DocumentSource
{
    /// <summary>
    /// <paramref name="format"/>: "percent" (documents separated by lines holding %), "jsonl" (one JSON object per line;
    /// the document is <paramref name="field"/>), "text" (the whole file is one document), "lines" (one document per
    /// non-empty line) or "folder" (every .txt file under the folder is a document). "auto" picks by extension.
    /// </summary>
    public static IEnumerable<string> Read(string path, string format = "auto", string field = "text")
    {
        if (format == "auto")
            format = Directory.Exists(path) ? "folder" : path.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".jsonl.gz", StringComparison.OrdinalIgnoreCase) ? "jsonl" : "percent";
        return format switch
        {
            "percent" => Percent(path),
            "jsonl" => Jsonl(path, field),
            "text" => [ReadAll(path)],
            "lines" => Lines(path),
            "folder" => Folder(path),
            _ => throw new ArgumentException($"unknown document format '{format}' (percent, jsonl, text, lines, folder)"),
        };
    }

    private static IEnumerable<string> Percent(string path)
    {
        var current = new StringBuilder();
        foreach (var raw in ReadLines(path))
        {
            if (raw.TrimEnd('\r').Trim() == "%")
            {
                if (current.Length > 0) yield return current.ToString();
                current.Clear();
            }
            else
            {
                current.Append(raw).Append('\n');
            }
        }
        if (current.Length > 0) yield return current.ToString();
    }

    private static IEnumerable<string> Jsonl(string path, string field)
    {
        int lineNumber = 0;
        foreach (var line in ReadLines(path))
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            string? text;
            try
            {
                using var doc = JsonDocument.Parse(line);
                if (!doc.RootElement.TryGetProperty(field, out var value) || value.ValueKind != JsonValueKind.String)
                    throw new InvalidDataException($"{path}, line {lineNumber}: no string field '{field}'");
                text = value.GetString();
            }
            catch (JsonException e)
            {
                throw new InvalidDataException($"{path}, line {lineNumber}: not valid JSON ({e.Message})", e);
            }
            if (text != null) yield return text;
        }
    }

    private static IEnumerable<string> Lines(string path)
    {
        foreach (var line in ReadLines(path))
            if (!string.IsNullOrWhiteSpace(line)) yield return line;
    }

    private static IEnumerable<string> Folder(string path)
    {
        if (!Directory.Exists(path)) throw new DirectoryNotFoundException($"folder '{path}' not found");
        foreach (var file in Directory.EnumerateFiles(path, "*.txt", SearchOption.AllDirectories).OrderBy(f => f, StringComparer.Ordinal))
            yield return ReadAll(file);
    }

    internal static IEnumerable<string> ReadLines(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"corpus '{path}' not found", path);
        Stream stream = File.OpenRead(path);
        if (path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase)) stream = new System.IO.Compression.GZipStream(stream, System.IO.Compression.CompressionMode.Decompress);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        for (string? line = reader.ReadLine(); line != null; line = reader.ReadLine()) yield return line;
    }

    private static string ReadAll(string path) => string.Join('\n', ReadLines(path));
}
