using System.Text.Json.Nodes;
using Sapling.Data.Text.Tokenization;

namespace Sapling.Data.Text;

/// <summary>
/// A tokenizer as a GGUF file carries it (<c>tokenizer.ggml.*</c>): the token texts in id order, their types, and
/// merges (byte-level BPE, <c>model = "gpt2"</c>) or scores (SentencePiece, <c>model = "llama"</c>). Sapling runs it by
/// laying it out as the Hugging Face tokenizer.json the model was converted from and loading that through
/// <see cref="PipelineTokenizer"/>; the same layout read backwards gives a GGUF vocabulary from a tokenizer.json.
/// </summary>
public sealed record GgufVocabulary
{
    /// <summary>llama.cpp's token types (tokenizer.ggml.token_type).</summary>
    public enum TokenType
    {
        /// <summary>No type recorded.</summary>
        Undefined = 0,
        /// <summary>An ordinary token of the vocabulary.</summary>
        Normal = 1,
        /// <summary>The unknown token (&lt;unk&gt;).</summary>
        Unknown = 2,
        /// <summary>A control token such as BOS or EOS: special, never produced from ordinary text.</summary>
        Control = 3,
        /// <summary>A token added by the user, matched whole in text.</summary>
        UserDefined = 4,
        /// <summary>A reserved slot with no use.</summary>
        Unused = 5,
        /// <summary>A byte-fallback token such as &lt;0x0A&gt;, standing for one raw byte.</summary>
        Byte = 6,
    }

    /// <summary>tokenizer.ggml.model: "gpt2" (byte-level BPE) or "llama" (SentencePiece).</summary>
    public required string Model { get; init; }

    /// <summary>tokenizer.ggml.pre: the pre-tokenizer's name for byte-level BPE ("gpt-2", "llama-bpe", "qwen2").</summary>
    public string? Pre { get; init; }

    /// <summary>tokenizer.ggml.tokens: each token's text, in id order.</summary>
    public required string[] Tokens { get; init; }
    /// <summary>tokenizer.ggml.token_type: each token's type, in id order; null treats every token as normal.</summary>
    public TokenType[]? Types { get; init; }
    /// <summary>tokenizer.ggml.scores: each token's score (SentencePiece), in id order; required for "llama".</summary>
    public float[]? Scores { get; init; }

    /// <summary>"a b" pairs, highest priority first (byte-level BPE).</summary>
    public string[]? Merges { get; init; }

    /// <summary>tokenizer.ggml.bos_token_id, or null when the file has none.</summary>
    public int? BosId { get; init; }
    /// <summary>tokenizer.ggml.eos_token_id, or null; its token becomes the tokenizer's end-of-text.</summary>
    public int? EosId { get; init; }
    /// <summary>tokenizer.ggml.unknown_token_id, or null.</summary>
    public int? UnknownId { get; init; }
    /// <summary>tokenizer.ggml.padding_token_id, or null.</summary>
    public int? PaddingId { get; init; }
    /// <summary>tokenizer.ggml.add_bos_token: whether encoding with special tokens puts BOS first.</summary>
    public bool AddBos { get; init; }
    /// <summary>tokenizer.ggml.add_eos_token: whether encoding with special tokens puts EOS last.</summary>
    public bool AddEos { get; init; }

    /// <summary>SentencePiece's prefix space (tokenizer.ggml.add_space_prefix, true by default).</summary>
    public bool AddSpacePrefix { get; init; } = true;

    /// <summary>The pre-tokenizer regular expressions of the byte-level BPE families Sapling reads, by llama.cpp's name.</summary>
    private static readonly Dictionary<string, (string Regex, bool Nfc, bool IgnoreMerges)> PreTokenizers = new(StringComparer.Ordinal)
    {
        ["gpt-2"] = (@"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+", false, false),
        ["llama-bpe"] = (@"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+", false, true),
        ["qwen2"] = (@"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+", true, false),
    };

    /// <summary>The byte-level pre-tokenizer names Sapling reads and writes.</summary>
    public static IReadOnlyCollection<string> KnownPreTokenizers => PreTokenizers.Keys;

    /// <summary>The tokenizer this vocabulary describes; <paramref name="source"/> names the file in errors.</summary>
    public ITokenizer ToTokenizer(string source)
    {
        var root = ToTokenizerJson(source);
        string? eos = EosId is int e && e >= 0 && e < Tokens.Length ? Tokens[e] : null;
        return PipelineTokenizer.FromDocument(root, source, eos);
    }

    /// <summary>The Hugging Face tokenizer.json layout of this vocabulary.</summary>
    public JsonObject ToTokenizerJson(string source)
    {
        if (Tokens.Length == 0) throw new InvalidDataException($"{source}: tokenizer.ggml.tokens is empty");
        if (Types != null && Types.Length != Tokens.Length) throw new InvalidDataException($"{source}: tokenizer.ggml.token_type has {Types.Length} entries for {Tokens.Length} tokens");
        if (Scores != null && Scores.Length != Tokens.Length) throw new InvalidDataException($"{source}: tokenizer.ggml.scores has {Scores.Length} entries for {Tokens.Length} tokens");
        foreach (var (key, id) in new[] { ("bos", BosId), ("eos", EosId), ("unknown", UnknownId), ("padding", PaddingId) })
            if (id is int i && (i < 0 || i >= Tokens.Length)) throw new InvalidDataException($"{source}: tokenizer.ggml.{key}_token_id {i} is outside the {Tokens.Length} tokens");
        return Model switch
        {
            "gpt2" => ByteLevelJson(source),
            "llama" => SentencePieceJson(source),
            _ => throw new NotSupportedException($"{source}: tokenizer.ggml.model '{Model}' is not supported (gpt2 and llama are)"),
        };
    }

    private TokenType TypeOf(int id) => Types?[id] ?? TokenType.Normal;

    /// <summary>Control, unknown and user-defined tokens are matched whole before the model sees the text, as llama.cpp
    /// and Hugging Face's converted tokenizers do.</summary>
    private JsonArray AddedTokens() => AddedTokens(Tokens, Types);

    /// <summary>The added_tokens of a SentencePiece-style vocabulary: control and unknown pieces special, user-defined ones not.</summary>
    internal static JsonArray AddedTokens(IReadOnlyList<string> tokens, IReadOnlyList<TokenType>? types)
    {
        var added = new JsonArray();
        for (int id = 0; id < tokens.Count; id++)
        {
            var type = types?[id] ?? TokenType.Normal;
            if (type is not (TokenType.Control or TokenType.Unknown or TokenType.UserDefined)) continue;
            added.Add(new JsonObject
            {
                ["id"] = id, ["content"] = tokens[id], ["single_word"] = false, ["lstrip"] = false, ["rstrip"] = false,
                ["normalized"] = false, ["special"] = type != TokenType.UserDefined,
            });
        }
        return added;
    }

    private JsonObject Vocabulary(string source)
    {
        var vocab = new JsonObject();
        for (int id = 0; id < Tokens.Length; id++)
        {
            // Duplicate texts exist in some SentencePiece vocabularies as unused pieces; the first id keeps the text.
            if (vocab.ContainsKey(Tokens[id]))
            {
                if (TypeOf(id) is TokenType.Unused or TokenType.Control or TokenType.UserDefined) continue;
                throw new InvalidDataException($"{source}: token text '{Tokens[id]}' appears twice in tokenizer.ggml.tokens (ids {vocab[Tokens[id]]} and {id})");
            }
            vocab[Tokens[id]] = id;
        }
        return vocab;
    }

    /// <summary>BOS/EOS around each sequence as tokenizer.ggml.add_bos_token / add_eos_token ask (TemplateProcessing).</summary>
    private JsonNode? Template(JsonNode? fallback) => Template(Tokens, AddBos ? BosId : null, AddEos ? EosId : null, fallback);

    /// <summary>
    /// A TemplateProcessing post-processor putting <paramref name="bosId"/> before and <paramref name="eosId"/> after
    /// each sequence (either may be null), after <paramref name="fallback"/> when there is one; null when neither is given.
    /// </summary>
    internal static JsonNode? Template(IReadOnlyList<string> tokens, int? bosId, int? eosId, JsonNode? fallback)
    {
        if (bosId == null && eosId == null) return fallback;
        var single = new JsonArray();
        var pair = new JsonArray();
        var specials = new JsonObject();
        void Special(JsonArray into, int id) => into.Add(new JsonObject { ["SpecialToken"] = new JsonObject { ["id"] = tokens[id], ["type_id"] = 0 } });
        void Sequence(JsonArray into, string which) => into.Add(new JsonObject { ["Sequence"] = new JsonObject { ["id"] = which, ["type_id"] = 0 } });
        foreach (var (into, parts) in new[] { (single, new[] { "A" }), (pair, new[] { "A", "B" }) })
            foreach (var part in parts)
            {
                if (bosId is int b) Special(into, b);
                Sequence(into, part);
                if (eosId is int e) Special(into, e);
            }
        foreach (var id in new[] { bosId, eosId })
            if (id is int i && !specials.ContainsKey(tokens[i]))
                specials[tokens[i]] = new JsonObject { ["id"] = tokens[i], ["ids"] = new JsonArray(i), ["tokens"] = new JsonArray(tokens[i]) };
        var template = new JsonObject { ["type"] = "TemplateProcessing", ["single"] = single, ["pair"] = pair, ["special_tokens"] = specials };
        return fallback == null ? template : new JsonObject { ["type"] = "Sequence", ["processors"] = new JsonArray(fallback, template) };
    }

    private JsonObject ByteLevelJson(string source)
    {
        string pre = Pre ?? "gpt-2";
        if (pre == "default") pre = "gpt-2";
        if (pre == "llama3") pre = "llama-bpe";
        if (!PreTokenizers.TryGetValue(pre, out var p))
            throw new NotSupportedException($"{source}: tokenizer.ggml.pre '{pre}' is not supported (Sapling reads {string.Join(", ", PreTokenizers.Keys)})");
        if (Merges == null) throw new InvalidDataException($"{source}: a gpt2 tokenizer needs tokenizer.ggml.merges");
        var merges = new JsonArray();
        foreach (var m in Merges) merges.Add(m);
        JsonNode ByteLevel(bool prefix) => new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = prefix, ["trim_offsets"] = false, ["use_regex"] = false };
        var preTokenizer = new JsonObject
        {
            ["type"] = "Sequence",
            ["pretokenizers"] = new JsonArray(
                new JsonObject { ["type"] = "Split", ["pattern"] = new JsonObject { ["Regex"] = p.Regex }, ["behavior"] = "Isolated", ["invert"] = false },
                ByteLevel(false)),
        };
        return new JsonObject
        {
            ["version"] = "1.0",
            ["added_tokens"] = AddedTokens(),
            ["normalizer"] = p.Nfc ? new JsonObject { ["type"] = "NFC" } : null,
            ["pre_tokenizer"] = preTokenizer,
            ["post_processor"] = Template(ByteLevel(false)),
            ["decoder"] = ByteLevel(false),
            ["model"] = new JsonObject
            {
                ["type"] = "BPE", ["dropout"] = null, ["unk_token"] = null, ["continuing_subword_prefix"] = null, ["end_of_word_suffix"] = null,
                ["fuse_unk"] = false, ["byte_fallback"] = false, ["ignore_merges"] = p.IgnoreMerges,
                ["vocab"] = Vocabulary(source), ["merges"] = merges,
            },
        };
    }

    /// <summary>
    /// SentencePiece BPE as Hugging Face's LlamaTokenizerFast lays it out: "▁" for spaces (and before the text),
    /// unknown characters as byte tokens &lt;0xNN&gt;, and merges ranked by the score of the piece they make — which is
    /// how SentencePiece (and llama.cpp) choose the next pair to join.
    /// </summary>
    private JsonObject SentencePieceJson(string source)
    {
        if (Scores == null) throw new InvalidDataException($"{source}: a llama (SentencePiece) tokenizer needs tokenizer.ggml.scores");
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int id = 0; id < Tokens.Length; id++)
            if (TypeOf(id) is TokenType.Normal or TokenType.UserDefined) ids.TryAdd(Tokens[id], id);
        var merges = new List<(float Score, int Id, string Left, string Right)>();
        foreach (var (piece, id) in ids)
        {
            if (TypeOf(id) != TokenType.Normal) continue;
            for (int split = 1; split < piece.Length; split++)
            {
                if (char.IsLowSurrogate(piece[split])) continue;
                string left = piece[..split], right = piece[split..];
                if (ids.ContainsKey(left) && ids.ContainsKey(right)) merges.Add((Scores[id], id, left, right));
            }
        }
        merges.Sort((a, b) => a.Score != b.Score ? b.Score.CompareTo(a.Score) : a.Id != b.Id ? a.Id.CompareTo(b.Id) : ids[a.Left].CompareTo(ids[b.Left]));
        var mergeArray = new JsonArray();
        foreach (var m in merges) mergeArray.Add(new JsonArray(m.Left, m.Right));
        var normalizers = new JsonArray();
        if (AddSpacePrefix) normalizers.Add(new JsonObject { ["type"] = "Prepend", ["prepend"] = "▁" });
        normalizers.Add(new JsonObject { ["type"] = "Replace", ["pattern"] = new JsonObject { ["String"] = " " }, ["content"] = "▁" });
        var decoders = new JsonArray(
            new JsonObject { ["type"] = "Replace", ["pattern"] = new JsonObject { ["String"] = "▁" }, ["content"] = " " },
            new JsonObject { ["type"] = "ByteFallback" },
            new JsonObject { ["type"] = "Fuse" });
        if (AddSpacePrefix) decoders.Add(new JsonObject { ["type"] = "Strip", ["content"] = " ", ["start"] = 1, ["stop"] = 0 });
        return new JsonObject
        {
            ["version"] = "1.0",
            ["added_tokens"] = AddedTokens(),
            ["normalizer"] = new JsonObject { ["type"] = "Sequence", ["normalizers"] = normalizers },
            ["pre_tokenizer"] = null,
            ["post_processor"] = Template(null),
            ["decoder"] = new JsonObject { ["type"] = "Sequence", ["decoders"] = decoders },
            ["model"] = new JsonObject
            {
                ["type"] = "BPE", ["dropout"] = null, ["unk_token"] = UnknownId is int u ? Tokens[u] : null,
                ["continuing_subword_prefix"] = null, ["end_of_word_suffix"] = null,
                // Unknown characters fall back to byte tokens; where a vocabulary has none (a character vocabulary
                // converted by Sapling), each stays its own unknown token, as in the vocabulary it came from.
                ["fuse_unk"] = false, ["byte_fallback"] = true, ["ignore_merges"] = false,
                ["vocab"] = Vocabulary(source), ["merges"] = mergeArray,
            },
        };
    }

    /// <summary>
    /// The GGUF vocabulary of a Hugging Face tokenizer.json: byte-level BPE (GPT-2's, Llama 3's or Qwen2's
    /// pre-tokenizer) becomes llama.cpp's "gpt2" model with its merges; SentencePiece-style BPE (byte fallback, "▁" for
    /// spaces) and Sapling's character vocabularies become its "llama" model, merges turned into scores (an earlier
    /// merge scores higher). Anything else is refused by name.
    /// </summary>
    public static GgufVocabulary FromTokenizerJson(JsonObject root, string source)
    {
        if (root["model"] is not JsonObject model) throw new InvalidDataException($"{source}: no model object");
        string type = model["type"]?.GetValue<string>() ?? throw new InvalidDataException($"{source}: model.type is missing");
        if (model["vocab"] is not JsonObject vocab) throw new NotSupportedException($"{source}: a {type} model without a vocab object has no GGUF form");
        var tokens = new string?[vocab.Count];
        void Place(string text, int id)
        {
            if (id < 0) throw new InvalidDataException($"{source}: token '{text}' has id {id}");
            if (id >= tokens.Length) Array.Resize(ref tokens, id + 1);
            tokens[id] = text;
        }
        foreach (var (text, id) in vocab) Place(text, id!.GetValue<int>());
        var specials = new HashSet<int>();
        var added = new HashSet<int>();
        if (root["added_tokens"] is JsonArray addedTokens)
            foreach (var entry in addedTokens)
            {
                int id = entry!["id"]!.GetValue<int>();
                Place(entry["content"]!.GetValue<string>(), id);
                added.Add(id);
                if (entry["special"]?.GetValue<bool>() == true) specials.Add(id);
            }
        for (int i = 0; i < tokens.Length; i++)
            if (tokens[i] == null) throw new NotSupportedException($"{source}: token id {i} has no text; GGUF vocabularies are dense");
        var texts = Array.ConvertAll(tokens, t => t!);
        string? unk = model["unk_token"]?.GetValue<string>();
        var types = new TokenType[texts.Length];
        for (int i = 0; i < texts.Length; i++)
            types[i] = specials.Contains(i) ? TokenType.Control : added.Contains(i) ? TokenType.UserDefined
                : texts[i] == unk ? TokenType.Unknown
                : texts[i].Length == 6 && texts[i].StartsWith("<0x", StringComparison.Ordinal) && texts[i].EndsWith('>') ? TokenType.Byte
                : TokenType.Normal;
        int? Find(params string[] candidates)
        {
            foreach (var c in candidates)
                for (int i = 0; i < texts.Length; i++)
                    if (texts[i] == c) return i;
            return null;
        }
        var merges = ReadMerges(model, source);
        if (type == "BPE" && ByteLevelPre(root, source) is string pre)
        {
            return new GgufVocabulary
            {
                Model = "gpt2", Pre = pre, Tokens = texts, Types = types, Merges = merges,
                BosId = Find("<|begin_of_text|>", "<s>", "<|endoftext|>"), EosId = Find("<|end_of_text|>", "<|endoftext|>", "</s>", "<|im_end|>"),
                UnknownId = unk != null ? Find(unk) : null,
            };
        }
        if (type == "BPE" && model["byte_fallback"]?.GetValue<bool>() == true)
        {
            var rank = new Dictionary<string, int>(StringComparer.Ordinal);
            for (int r = 0; r < merges.Length; r++)
            {
                string joined = merges[r].Replace(" ", "", StringComparison.Ordinal);
                rank.TryAdd(joined, r);
            }
            var scores = new float[texts.Length];
            for (int i = 0; i < texts.Length; i++) scores[i] = rank.TryGetValue(texts[i], out int r) ? -r : -1e9f;
            return new GgufVocabulary
            {
                Model = "llama", Tokens = texts, Types = types, Scores = scores,
                BosId = Find("<s>"), EosId = Find("</s>"), UnknownId = unk != null ? Find(unk) : Find("<unk>"), AddBos = Find("<s>") != null,
            };
        }
        if (type == "WordLevel" && IsCharacterSplit(root))
        {
            // One character per token: SentencePiece with no merges reads it the same, spaces written as "▁".
            if (Array.IndexOf(texts, "▁") >= 0) throw new NotSupportedException($"{source}: the character vocabulary already has '▁', which GGUF uses for the space");
            var spm = (string[])texts.Clone();
            for (int i = 0; i < spm.Length; i++) spm[i] = spm[i].Replace(' ', '▁');
            return new GgufVocabulary
            {
                Model = "llama", Tokens = spm, Types = types, Scores = new float[spm.Length], AddSpacePrefix = false,
                EosId = Find("<|endoftext|>", "</s>"), UnknownId = unk != null ? Find(unk) : Find("<unk>"),
            };
        }
        throw new NotSupportedException($"{source}: a {type} tokenizer with this pre-tokenizer has no GGUF form in Sapling (byte-level BPE, SentencePiece-style BPE and character vocabularies do)");
    }

    private static string[] ReadMerges(JsonObject model, string source)
    {
        if (model["merges"] is not JsonArray list) return [];
        var merges = new string[list.Count];
        for (int i = 0; i < merges.Length; i++)
            merges[i] = list[i] switch
            {
                JsonValue v => v.GetValue<string>(),
                JsonArray pair when pair.Count == 2 => $"{pair[0]!.GetValue<string>()} {pair[1]!.GetValue<string>()}",
                _ => throw new InvalidDataException($"{source}: model.merges[{i}] is neither \"a b\" nor [a, b]"),
            };
        return merges;
    }

    /// <summary>llama.cpp's name for the byte-level pre-tokenizer of this tokenizer.json; null when it is not byte-level.</summary>
    private static string? ByteLevelPre(JsonObject root, string source)
    {
        var pre = root["pre_tokenizer"] as JsonObject;
        string? type = pre?["type"]?.GetValue<string>();
        if (type == "ByteLevel") return pre!["use_regex"]?.GetValue<bool>() == false ? null : "gpt-2";
        if (type != "Sequence" || pre!["pretokenizers"] is not JsonArray steps || steps.Count != 2) return null;
        if (steps[1]?["type"]?.GetValue<string>() != "ByteLevel" || steps[0]?["type"]?.GetValue<string>() != "Split") return null;
        string? regex = steps[0]!["pattern"]?["Regex"]?.GetValue<string>();
        foreach (var (name, p) in PreTokenizers)
            if (p.Regex == regex) return name;
        throw new NotSupportedException($"{source}: the byte-level pre-tokenizer's pattern is not one llama.cpp knows by name ({string.Join(", ", PreTokenizers.Keys)})");
    }

    private static bool IsCharacterSplit(JsonObject root) =>
        root["pre_tokenizer"] is JsonObject pre && pre["type"]?.GetValue<string>() == "Split" && pre["pattern"]?["Regex"]?.GetValue<string>() == ".";
}
