using System.Text.Json;

namespace Sapling.Data.Text;

/// <summary>
/// Reads sequence-labelling corpora in the two shapes they come in: JSONL with a words array and a tags array per line
/// (Hugging Face datasets' <c>{"tokens": [...], "ner_tags": [...]}</c>; integer tags are kept as their numbers), or
/// CoNLL text (one word per line, the word in the first column and its tag in the last, a blank line between sentences,
/// <c>-DOCSTART-</c> lines ignored). A sentence that cannot be read is skipped and reported with its line number.
/// </summary>
public static class TaggedWordsReader
{
    /// <summary>Reads <paramref name="path"/> as JSONL (format jsonl, or auto with a .jsonl/.json name) or CoNLL.</summary>
    public static (List<TaggedWords> Sentences, List<SkippedRow> Skipped) Read(string path, string format, string wordsField, string tagsField)
    {
        bool jsonl = format switch
        {
            "jsonl" => true,
            "conll" => false,
            "auto" => path.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".jsonl.gz", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".json", StringComparison.OrdinalIgnoreCase),
            _ => throw new ArgumentException($"data.format for sequence labelling must be auto, jsonl or conll, got '{format}'"),
        };
        return jsonl ? JsonlReader.Read(path, row => FromJson(row, wordsField, tagsField)) : ReadConll(path);
    }

    private static TaggedWords FromJson(JsonElement row, string wordsField, string tagsField)
    {
        var words = Strings(row, wordsField, numbers: false);
        var tags = Strings(row, tagsField, numbers: true);
        if (words.Length == 0) throw new InvalidDataException($"\"{wordsField}\" is empty");
        if (tags.Length != words.Length) throw new InvalidDataException($"{words.Length} words in \"{wordsField}\" but {tags.Length} tags in \"{tagsField}\"");
        return new TaggedWords(words, tags);
    }

    private static string[] Strings(JsonElement row, string field, bool numbers)
    {
        if (!row.TryGetProperty(field, out var array) || array.ValueKind != JsonValueKind.Array)
            throw new InvalidDataException($"missing array field \"{field}\"");
        var values = new string[array.GetArrayLength()];
        int i = 0;
        foreach (var item in array.EnumerateArray())
        {
            values[i] = item.ValueKind switch
            {
                JsonValueKind.String when item.GetString()!.Length > 0 => item.GetString()!,
                JsonValueKind.Number when numbers => item.GetRawText(),
                _ => throw new InvalidDataException($"\"{field}\"[{i}] is {(item.ValueKind == JsonValueKind.String ? "an empty string" : item.ValueKind.ToString().ToLowerInvariant())}, not a {(numbers ? "tag name or number" : "word")}"),
            };
            i++;
        }
        return values;
    }

    private static (List<TaggedWords>, List<SkippedRow>) ReadConll(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"data file '{path}' not found", path);
        var sentences = new List<TaggedWords>();
        var skipped = new List<SkippedRow>();
        var words = new List<string>();
        var tags = new List<string>();
        int lineNumber = 0, start = 0;
        string? error = null;
        void End()
        {
            if (error != null) skipped.Add(new SkippedRow(start, error));
            else if (words.Count > 0) sentences.Add(new TaggedWords(words.ToArray(), tags.ToArray()));
            (error, start) = (null, 0);
            words.Clear();
            tags.Clear();
        }
        foreach (var line in DocumentSource.ReadLines(path))
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line)) { End(); continue; }
            if (line.StartsWith("-DOCSTART-", StringComparison.Ordinal)) continue;
            if (start == 0) start = lineNumber;
            var columns = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (columns.Length < 2) { error ??= $"line {lineNumber} has one column; CoNLL lines hold a word and its tag"; continue; }
            words.Add(columns[0]);
            tags.Add(columns[^1]);
        }
        End();
        return (sentences, skipped);
    }
}
