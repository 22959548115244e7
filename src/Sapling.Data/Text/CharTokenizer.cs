using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Sapling.Data.Text;

/// <summary>
/// One token per Unicode code point (a Chinese character, a letter, a newline), plus special tokens. Suited to
/// Chinese poetry, where characters are words. Saved as a Hugging Face tokenizer.json (WordLevel model over a
/// pre-tokenizer that splits every character), so the vocabulary is readable by the tokenizers library.
/// </summary>
public sealed class CharTokenizer : ITokenizer
{
    /// <summary>The end-of-text token, always id 0 in a trained vocabulary; it separates documents.</summary>
    public const string EndOfText = "<|endoftext|>";
    /// <summary>
    /// The token that stands for any character outside the vocabulary, always id 1 in a trained vocabulary.
    /// </summary>
    public const string Unknown = "<unk>";

    private readonly Dictionary<string, int> ids;
    private readonly string[] tokens;
    // Special tokens besides end-of-text and unknown (e.g. chat markers): matched in text before the split into characters.
    private readonly string[] extraSpecials;
    private readonly System.Text.RegularExpressions.Regex? specialPattern;

    private CharTokenizer(string[] tokens, IReadOnlyList<string>? extraSpecials = null)
    {
        this.tokens = tokens;
        ids = new Dictionary<string, int>(tokens.Length, StringComparer.Ordinal);
        for (int i = 0; i < tokens.Length; i++) ids[tokens[i]] = i;
        EndOfTextId = ids[EndOfText];
        UnknownId = ids[Unknown];
        this.extraSpecials = extraSpecials?.ToArray() ?? [];
        specialPattern = SpecialTokenMatcher.Build(this.extraSpecials);
    }

    /// <inheritdoc/>
    public int IdOf(string token) => ids.TryGetValue(token, out int id) ? id : -1;

    /// <inheritdoc/>
    public ITokenizer WithSpecialTokens(IReadOnlyList<string> added)
    {
        var fresh = added.Where(t => !ids.ContainsKey(t)).Distinct(StringComparer.Ordinal).ToArray();
        return fresh.Length == 0 ? this : new CharTokenizer([.. tokens, .. fresh], [.. extraSpecials, .. fresh]);
    }

    private bool IsSpecial(int id) => id == EndOfTextId || id == UnknownId || (extraSpecials.Length > 0 && extraSpecials.Contains(tokens[id]));

    /// <inheritdoc/>
    public int VocabSize => tokens.Length;
    /// <inheritdoc/>
    public int EndOfTextId { get; }
    /// <summary>
    /// The id of <see cref="Unknown"/>, which <see cref="Encode"/> gives characters not in the vocabulary.
    /// </summary>
    public int UnknownId { get; }

    /// <summary>
    /// Special tokens first, then every character seen at least <paramref name="minFrequency"/> times, most frequent
    /// first (ties by code point), so the ids are the same on every machine.
    /// </summary>
    public static CharTokenizer Train(IEnumerable<string> documents, int minFrequency = 1)
    {
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var doc in documents)
            foreach (var rune in doc.EnumerateRunes())
            {
                var s = rune.ToString();
                counts[s] = counts.GetValueOrDefault(s) + 1;
            }
        var chars = counts.Where(p => p.Value >= minFrequency)
            .OrderByDescending(p => p.Value).ThenBy(p => char.ConvertToUtf32(p.Key, 0))
            .Select(p => p.Key);
        return new CharTokenizer([EndOfText, Unknown, .. chars]);
    }

    /// <inheritdoc/>
    public int[] Encode(string text) => SpecialTokenMatcher.Encode(text, specialPattern, s => ids[s], EncodeCharacters, text.Length);

    private void EncodeCharacters(ReadOnlySpan<char> text, List<int> result)
    {
        foreach (var rune in text.EnumerateRunes())
            result.Add(ids.TryGetValue(rune.ToString(), out int id) ? id : UnknownId);
    }

    /// <summary>Text of the ids; special tokens are written as themselves unless <paramref name="skipSpecial"/>.</summary>
    public string Decode(IEnumerable<int> ids, bool skipSpecial = false)
    {
        var sb = new StringBuilder();
        foreach (int id in ids)
        {
            if (id < 0 || id >= tokens.Length) throw new ArgumentOutOfRangeException(nameof(ids), $"token id {id} is outside the vocabulary of {tokens.Length}");
            if (skipSpecial && IsSpecial(id)) continue;
            sb.Append(tokens[id]);
        }
        return sb.ToString();
    }

    /// <summary>The token (a character or a special token) with id <paramref name="id"/>.</summary>
    public string TokenOf(int id) =>
        (uint)id < (uint)tokens.Length ? tokens[id] : throw new ArgumentOutOfRangeException(nameof(id), $"token id {id} is outside the vocabulary (0..{tokens.Length - 1})");

    /// <summary>The Hugging Face tokenizer.json form.</summary>
    public string ToJson()
    {
        var vocab = new JsonObject();
        for (int i = 0; i < tokens.Length; i++) vocab[tokens[i]] = i;
        var splitEveryCharacter = new JsonObject
        {
            ["type"] = "Split",
            ["pattern"] = new JsonObject { ["Regex"] = "." },
            ["behavior"] = "Isolated",
            ["invert"] = false,
        };
        var model = new JsonObject { ["type"] = "WordLevel", ["vocab"] = vocab, ["unk_token"] = Unknown };
        var specialTokens = new List<(int, string)> { (ids[EndOfText], EndOfText), (ids[Unknown], Unknown) };
        foreach (var s in extraSpecials) specialTokens.Add((ids[s], s));
        return TokenizerJson.Document(specialTokens, splitEveryCharacter, null, new JsonObject { ["type"] = "Fuse" }, model);
    }

    /// <inheritdoc/>
    public void Save(string path) => TokenizerJson.Write(path, ToJson());

    /// <summary>
    /// Reads a tokenizer.json written by <see cref="Save"/> (a WordLevel model that splits every character); throws
    /// <see cref="InvalidDataException"/> for other tokenizer types or a malformed file.
    /// </summary>
    public static CharTokenizer Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"tokenizer '{path}' not found", path);
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(File.ReadAllText(path, Encoding.UTF8));
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not valid JSON ({e.Message})", e);
        }
        try
        {
            return FromDocument(root, path);
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or ArgumentException)
        {
            // JsonNode throws these for a field of the wrong JSON type or a key that appears twice in an object.
            throw new InvalidDataException($"{path}: a field has the wrong type or a key repeats ({e.Message})", e);
        }
    }

    private static CharTokenizer FromDocument(JsonNode? root, string path)
    {
        var model = root?["model"] ?? throw new InvalidDataException($"{path}: no \"model\" section (not a tokenizer.json)");
        var type = model["type"]?.GetValue<string>();
        if (type != "WordLevel") throw new InvalidDataException($"{path}: model type '{type}' is not a character vocabulary (WordLevel); load byte-level BPE tokenizers with ByteLevelBpe.Load");
        TokenizerPipelineCheck.CharacterVocabulary(root!, path);
        var vocab = model["vocab"] as JsonObject ?? throw new InvalidDataException($"{path}: model has no vocab object");
        var tokens = new string[vocab.Count];
        foreach (var (token, id) in vocab)
        {
            if (id is not JsonValue v || !v.TryGetValue(out int i)) throw new InvalidDataException($"{path}: token '{token}' has id {id?.ToJsonString() ?? "null"}, not an integer");
            if (i < 0 || i >= tokens.Length || tokens[i] != null) throw new InvalidDataException($"{path}: token ids must be 0..{tokens.Length - 1} without repeats ('{token}' has {i})");
            tokens[i] = token;
        }
        if (!vocab.ContainsKey(EndOfText) || !vocab.ContainsKey(Unknown))
            throw new InvalidDataException($"{path}: the vocabulary lacks {EndOfText} or {Unknown}");
        var extra = new List<string>();
        foreach (var added in root?["added_tokens"]?.AsArray() ?? [])
            if (added?["content"]?.GetValue<string>() is { } content && content != EndOfText && content != Unknown && added["special"]?.GetValue<bool>() != false)
            {
                if (!vocab.ContainsKey(content)) throw new InvalidDataException($"{path}: added token '{content}' is not in the model's vocabulary");
                extra.Add(content);
            }
        return new CharTokenizer(tokens, extra);
    }
}
