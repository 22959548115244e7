using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Sapling.Data.Text;

/// <summary>Reading and writing Hugging Face tokenizer.json and GPT-2's vocab.json + merges.txt.</summary>
public sealed partial class ByteLevelBpe
{
    /// <summary>The Hugging Face tokenizer.json form; merges are written as pairs, the newer form.</summary>
    public string ToJson()
    {
        var vocab = new JsonObject();
        for (int i = 0; i < tokens.Length; i++) vocab[tokens[i]] = i;
        var mergeArray = new JsonArray();
        foreach (var (left, right) in merges) mergeArray.Add(new JsonArray(left, right));
        JsonObject ByteLevelStep() => new()
        {
            ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["trim_offsets"] = true, ["use_regex"] = true,
        };
        var model = new JsonObject
        {
            ["type"] = "BPE", ["dropout"] = null, ["unk_token"] = null, ["continuing_subword_prefix"] = "",
            ["end_of_word_suffix"] = "", ["fuse_unk"] = false, ["byte_fallback"] = false,
            ["vocab"] = vocab, ["merges"] = mergeArray,
        };
        return TokenizerJson.Document(specials.Select(t => (ids[t], t)), ByteLevelStep(), ByteLevelStep(), ByteLevelStep(), model);
    }

    /// <summary>Writes tokenizer.json through a temporary file, so a crash never leaves half a vocabulary.</summary>
    public void Save(string path) => TokenizerJson.Write(path, ToJson());

    /// <summary>
    /// Reads a tokenizer.json with a BPE model. Merges may be pairs (["Ġ","t"]) or the older "Ġ t" strings. Added
    /// tokens marked special become special tokens; those missing from the model's vocab take the id they carry.
    /// </summary>
    public static ByteLevelBpe Load(string path)
    {
        var root = ParseFile(path);
        try
        {
            var model = root["model"] as JsonObject ?? throw new InvalidDataException($"{path}: no \"model\" section (not a tokenizer.json)");
            // Older tokenizers.json files leave the model untagged; vocab plus merges can only be BPE.
            var type = model["type"]?.GetValue<string>() ?? (model["merges"] != null ? "BPE" : null);
            if (type != "BPE") throw new InvalidDataException($"{path}: model type '{type ?? "(none)"}' is not BPE; only byte-level BPE tokenizers load here");
            TokenizerPipelineCheck.ByteLevelBpe(root, path);
            var vocab = model["vocab"] as JsonObject ?? throw new InvalidDataException($"{path}: the BPE model has no \"vocab\" object");
            var merges = model["merges"] as JsonArray ?? throw new InvalidDataException($"{path}: the BPE model has no \"merges\" array");

            var byId = new SortedDictionary<int, string>();
            foreach (var (token, idNode) in vocab)
                AddToken(byId, token, ReadId(idNode, path, $"vocab entry '{token}'"), path);
            var specialList = new List<string>();
            if (root["added_tokens"] is JsonArray added)
                foreach (var entry in added)
                {
                    var content = entry?["content"]?.GetValue<string>() ?? throw new InvalidDataException($"{path}: an added token has no \"content\"");
                    int id = ReadId(entry["id"], path, $"added token '{content}'");
                    if (!byId.TryGetValue(id, out var existing)) AddToken(byId, content, id, path);
                    else if (existing != content) throw new InvalidDataException($"{path}: added token '{content}' has id {id}, which the vocab gives to '{existing}'");
                    if (entry["special"]?.GetValue<bool>() == true) specialList.Add(content);
                }

            return new ByteLevelBpe(Dense(byId, path), ReadMerges(merges, path), specialList, path);
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or ArgumentException)
        {
            // JsonNode throws these for a field of the wrong JSON type or a key that appears twice in an object.
            throw new InvalidDataException($"{path}: a field has the wrong type or a key repeats ({e.Message})", e);
        }
    }

    /// <summary>
    /// Reads GPT-2's original files: vocab.json (token → id) and merges.txt (a "#version" line, then "left right"
    /// per line in rank order). &lt;|endoftext|&gt; is the special token when the vocabulary has it.
    /// </summary>
    public static ByteLevelBpe LoadGpt2(string vocabJsonPath, string mergesTxtPath)
    {
        var root = ParseFile(vocabJsonPath);
        var byId = new SortedDictionary<int, string>();
        foreach (var (token, idNode) in root.AsObject())
            AddToken(byId, token, ReadId(idNode, vocabJsonPath, $"vocab entry '{token}'"), vocabJsonPath);

        if (!File.Exists(mergesTxtPath)) throw new FileNotFoundException($"merges file '{mergesTxtPath}' not found", mergesTxtPath);
        var merges = new List<(string, string)>();
        int lineNumber = 0;
        foreach (var line in File.ReadLines(mergesTxtPath, Encoding.UTF8))
        {
            lineNumber++;
            if (line.Length == 0 || (lineNumber == 1 && line.StartsWith("#version", StringComparison.Ordinal))) continue;
            var parts = line.Split(' ');
            if (parts.Length != 2 || parts[0].Length == 0 || parts[1].Length == 0)
                throw new InvalidDataException($"{mergesTxtPath}:{lineNumber}: expected two tokens separated by one space, got '{line}'");
            merges.Add((parts[0], parts[1]));
        }
        var tokens = Dense(byId, vocabJsonPath);
        string[] specialList = tokens.Contains(EndOfText) ? [EndOfText] : [];
        return new ByteLevelBpe(tokens, merges, specialList, vocabJsonPath);
    }

    private static JsonNode ParseFile(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"tokenizer file '{path}' not found", path);
        try
        {
            return JsonNode.Parse(File.ReadAllText(path, Encoding.UTF8)) as JsonObject
                ?? throw new InvalidDataException($"{path}: expected a JSON object at the top level");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not valid JSON ({e.Message})", e);
        }
    }

    private static int ReadId(JsonNode? node, string path, string what)
    {
        if (node is JsonValue v && v.TryGetValue(out int id) && id >= 0) return id;
        throw new InvalidDataException($"{path}: {what} has id {node?.ToJsonString() ?? "null"}, not a non-negative integer");
    }

    private static void AddToken(SortedDictionary<int, string> byId, string token, int id, string path)
    {
        if (!byId.TryAdd(id, token)) throw new InvalidDataException($"{path}: id {id} is given to both '{byId[id]}' and '{token}'");
    }

    private static string[] Dense(SortedDictionary<int, string> byId, string path)
    {
        var tokens = new string[byId.Count];
        int expected = 0;
        foreach (var (id, token) in byId)
        {
            if (id != expected) throw new InvalidDataException($"{path}: token ids must run 0..{byId.Count - 1} without gaps, but id {expected} is missing");
            tokens[expected++] = token;
        }
        return tokens;
    }

    private static List<(string, string)> ReadMerges(JsonArray merges, string path)
    {
        var result = new List<(string, string)>(merges.Count);
        for (int i = 0; i < merges.Count; i++)
        {
            switch (merges[i])
            {
                case JsonArray { Count: 2 } pair when pair[0] is JsonValue l && pair[1] is JsonValue r
                    && l.TryGetValue(out string? left) && r.TryGetValue(out string? right):
                    result.Add((left, right));
                    break;
                case JsonValue v when v.TryGetValue(out string? text) && text.Split(' ') is [{ Length: > 0 } a, { Length: > 0 } b]:
                    result.Add((a, b));
                    break;
                default:
                    throw new InvalidDataException($"{path}: merge #{i} is {merges[i]?.ToJsonString() ?? "null"}, neither [\"left\",\"right\"] nor \"left right\"");
            }
        }
        return result;
    }
}
