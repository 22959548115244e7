using System.Text.Json;

namespace Sapling.Training.Runs;

/// <summary>metrics.jsonl: one JSON object per line, flushed as written so a crashed run keeps its history.</summary>
public sealed class MetricsLog(string path)
{
    /// <summary>The metrics.jsonl file.</summary>
    public string Path { get; } = path;

    /// <summary>
    /// Writes <paramref name="record"/> as one JSON line; NaN and infinities are written as named literals.
    /// </summary>
    public void Append(IReadOnlyDictionary<string, object?> record)
    {
        var line = JsonSerializer.Serialize(record, JsonNumbers.Options);
        File.AppendAllText(Path, line + Environment.NewLine);
    }

    /// <summary>Keeps only the first <paramref name="lines"/> lines (a resumed run rewinds the log to its checkpoint).</summary>
    public void Truncate(int lines)
    {
        if (!File.Exists(Path)) return;
        var kept = File.ReadLines(Path).Take(lines).ToList();
        File.WriteAllLines(Path, kept);
    }
}
