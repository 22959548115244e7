using System.Text.Json;

namespace Sapling.Data.Text;

/// <summary>
/// Reads one record per JSONL line (plain or .gz). A line that is not valid JSON, or that the mapping rejects (by
/// throwing <see cref="InvalidDataException"/> with the reason), is skipped and reported with its line number, so one
/// bad row never stops a run.
/// </summary>
public static class JsonlReader
{
    /// <summary>
    /// Reads <paramref name="path"/> (JSONL, or gzipped JSONL ending in .gz), turning each line's JSON object into a
    /// record with <paramref name="map"/>; blank lines are ignored, and bad lines land in <c>Skipped</c> with their
    /// 1-based line number and reason. Throws <see cref="FileNotFoundException"/> when the file is missing.
    /// </summary>
    public static (List<T> Records, List<SkippedRow> Skipped) Read<T>(string path, Func<JsonElement, T> map)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"data file '{path}' not found", path);
        var records = new List<T>();
        var skipped = new List<SkippedRow>();
        int lineNumber = 0;
        foreach (var line in DocumentSource.ReadLines(path))
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            try
            {
                using var doc = JsonDocument.Parse(line);
                if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new InvalidDataException("not a JSON object");
                records.Add(map(doc.RootElement));
            }
            catch (JsonException e)
            {
                skipped.Add(new SkippedRow(lineNumber, $"invalid JSON ({e.Message.Split('.')[0]})"));
            }
            catch (InvalidDataException e)
            {
                skipped.Add(new SkippedRow(lineNumber, e.Message));
            }
        }
        return (records, skipped);
    }

    /// <summary>A non-empty string field, or an <see cref="InvalidDataException"/> naming it.</summary>
    public static string RequiredString(JsonElement row, string field)
    {
        if (!row.TryGetProperty(field, out var value) || value.ValueKind != JsonValueKind.String)
            throw new InvalidDataException($"missing string field \"{field}\"");
        var text = value.GetString()!;
        if (text.Length == 0) throw new InvalidDataException($"empty \"{field}\"");
        return text;
    }

    /// <summary>"N rows skipped (line 3: ..., line 9: ...)" for the log, or null when none were.</summary>
    public static string? Summary(string path, IReadOnlyList<SkippedRow> skipped) => skipped.Count == 0 ? null :
        $"{path}: {skipped.Count} row{(skipped.Count > 1 ? "s" : "")} skipped ({string.Join("; ", skipped.Take(5).Select(s => $"line {s.Line}: {s.Reason}"))}{(skipped.Count > 5 ? "; ..." : "")})";
}
