using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Sapling.Data.Json;

namespace Sapling.Data.Text.Tokenization;

/// <summary>
/// Any Hugging Face tokenizer.json, run component by component as Hugging Face's <c>tokenizers</c> runs it: added
/// tokens are cut out, the rest is normalised, pre-tokenised into words, each word turned into ids by the model
/// (BPE, WordPiece, Unigram or WordLevel), and the post-processor adds special tokens when asked. Decoding maps ids
/// back to tokens and runs the decoder. A component or option this class does not implement is refused when the file
/// is read, naming its JSON path; nothing is silently replaced by a default.
/// </summary>
public sealed class PipelineTokenizer : ITokenizer
{
    [ThreadStatic] private static Scratch? scratch;

    private readonly JsonObject root;
    private readonly string source;
    private readonly Normalizer? normalizer;
    private readonly PreTokenizer[] preTokenizers;
    private readonly TokenizerModel model;
    private readonly PostProcessor postProcessor;
    private readonly Decoder? decoder;
    private readonly AddedVocabulary added;
    private readonly int idLimit;
    private readonly int endOfTextId;

    private PipelineTokenizer(JsonObject root, string source, string? endOfText)
    {
        this.root = root;
        this.source = source;
        var top = new JsonSection(root, "$", source);
        if (top.OptionalString("version") is { } version && version != "1.0") throw top.Error("version", $"'{version}' is not 1.0, the only tokenizer.json version");
        if (root["truncation"] is JsonObject) throw top.Error("truncation", "truncation inside tokenizer.json is not supported; truncate the ids after encoding");
        if (root["padding"] is JsonObject) throw top.Error("padding", "padding inside tokenizer.json is not supported; pad batches after encoding");

        normalizer = top.OptionalObject("normalizer") is { } n ? Normalizer.Read(n) : null;
        var steps = new List<PreTokenizer>();
        if (top.OptionalObject("pre_tokenizer") is { } p) PreTokenizer.Read(p, steps);
        preTokenizers = steps.ToArray();
        model = TokenizerModel.Read(top.Object("model"));
        decoder = top.OptionalObject("decoder") is { } d ? Decoder.Read(d) : null;

        var entries = new List<AddedVocabulary.Entry>();
        var taken = new Dictionary<int, string>();
        if (root["added_tokens"] is not null)
            foreach (var a in top.Objects("added_tokens"))
            {
                string content = a.String("content");
                if (content.Length == 0) continue; // Hugging Face ignores empty added tokens
                int declared = a.Int("id", -1);
                // The vocabulary's id wins, as in Hugging Face; otherwise the file's id, which must be free.
                int id = model.TryGetId(content, out int known) ? known : declared >= 0 ? declared : throw a.Error("id", "missing for a token the vocabulary does not have");
                if (model.TokenOf(id) is { } other && other != content) throw a.Error("id", $"{id} is the vocabulary's id of '{other}'");
                if (taken.TryGetValue(id, out var twice) && twice != content) throw a.Error("id", $"{id} is also the id of added token '{twice}'");
                taken[id] = content;
                entries.Add(new AddedVocabulary.Entry(content, id, a.Bool("single_word", false), a.Bool("lstrip", false), a.Bool("rstrip", false),
                    a.Bool("normalized", !a.Bool("special", false)), a.Bool("special", false)));
            }
        added = new AddedVocabulary(entries, normalizer);
        idLimit = Math.Max(model.IdLimit, entries.Count == 0 ? 0 : entries.Max(e => e.Id) + 1);
        postProcessor = top.OptionalObject("post_processor") is { } post ? PostProcessor.Read(post, t => IdOf(t) is >= 0 and var i ? i : null) : new PlainJoin(pairTypeIds: true);
        foreach (int id in postProcessor.SpecialIds)
            if (TokenOf(id) == null) throw top.Error("post_processor", $"adds token id {id}, which the vocabulary does not have");

        endOfTextId = -1;
        foreach (var name in new[] { endOfText, "<|endoftext|>", "<|end_of_text|>", "</s>", "<eos>" })
            if (name != null && IdOf(name) is >= 0 and var id) { endOfTextId = id; break; }
    }

    /// <summary>Deep files are allowed (long Sequences); a key given twice in one object is refused when parsing.</summary>
    internal static JsonDocumentOptions StrictJson { get; } = new() { MaxDepth = 256, AllowDuplicateProperties = false };

    /// <summary>
    /// Reads a tokenizer.json; the end-of-text token is the <c>eos_token</c> of a tokenizer_config.json beside it when
    /// there is one, else the first of &lt;|endoftext|&gt;, &lt;|end_of_text|&gt;, &lt;/s&gt; and &lt;eos&gt; the vocabulary has.
    /// </summary>
    public static PipelineTokenizer Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"tokenizer '{path}' not found", path);
        JsonObject root;
        try
        {
            root = JsonNode.Parse(File.ReadAllText(path, Encoding.UTF8), documentOptions: StrictJson) as JsonObject
                ?? throw new InvalidDataException($"{path}: the top level must be a JSON object (a Hugging Face tokenizer.json)");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not valid JSON ({e.Message})", e);
        }
        return Load(root, path);
    }

    /// <summary>A tokenizer.json already parsed (by <see cref="Tokenizers.Load"/>), with the tokenizer_config.json beside it.</summary>
    internal static PipelineTokenizer Load(JsonObject root, string path)
    {
        var config = ReadConfig(Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, "tokenizer_config.json"));
        return new PipelineTokenizer(root, path, config.EndOfText) { CleanUpTokenizationSpaces = config.CleanUp };
    }

    /// <summary>A tokenizer from tokenizer.json text; <paramref name="source"/> names it in errors.</summary>
    public static PipelineTokenizer FromJson(string json, string source = "tokenizer.json", string? endOfText = null)
    {
        try
        {
            var root = JsonNode.Parse(json, documentOptions: StrictJson) as JsonObject ?? throw new InvalidDataException($"{source}: the top level must be a JSON object");
            return new PipelineTokenizer(root, source, endOfText);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{source}: not valid JSON ({e.Message})", e);
        }
    }

    /// <summary>A tokenizer.json document built in memory (from a GGUF vocabulary, for instance).</summary>
    internal static PipelineTokenizer FromDocument(JsonObject root, string source, string? endOfText) => new(root, source, endOfText);

    /// <summary>
    /// BERT's tokenizer from a WordPiece vocab.txt (one token per line, the line number is the id), laid out as
    /// Hugging Face converts it: BertNormalizer, BertPreTokenizer, WordPiece with ## continuations, [CLS] A [SEP].
    /// For model folders that ship vocab.txt without a tokenizer.json.
    /// </summary>
    public static PipelineTokenizer FromBertVocabulary(string vocabTxtPath, bool lowercase = true)
    {
        if (!File.Exists(vocabTxtPath)) throw new FileNotFoundException($"vocabulary '{vocabTxtPath}' not found", vocabTxtPath);
        return FromBertVocabulary(File.ReadAllLines(vocabTxtPath, Encoding.UTF8), vocabTxtPath, lowercase);
    }

    /// <inheritdoc cref="FromBertVocabulary(string, bool)"/>
    /// <param name="extraSpecialTokens">Tokens of the vocabulary, beyond BERT's five, that are special (matched whole in text, skipped when decoding).</param>
    public static PipelineTokenizer FromBertVocabulary(IReadOnlyList<string> lines, string source, bool lowercase = true, IReadOnlyList<string>? extraSpecialTokens = null)
    {
        var vocab = new JsonObject();
        for (int i = 0; i < lines.Count; i++)
        {
            var token = lines[i].TrimEnd('\r');
            if (token.Length == 0) continue;
            if (vocab.ContainsKey(token)) throw new InvalidDataException($"{source}:{i + 1}: token '{token}' appears twice");
            vocab[token] = i;
        }
        var added = new JsonArray();
        foreach (var special in WordPieceTrainer.BertSpecialTokens.Concat(extraSpecialTokens ?? []).Distinct(StringComparer.Ordinal))
        {
            if (vocab[special] is not JsonValue id) throw new InvalidDataException($"{source}: the vocabulary has no {special} token, which BERT needs");
            added.Add(new JsonObject
            {
                ["id"] = id.GetValue<int>(), ["content"] = special, ["single_word"] = false, ["lstrip"] = false,
                ["rstrip"] = false, ["normalized"] = false, ["special"] = true,
            });
        }
        var root = new JsonObject
        {
            ["version"] = "1.0", ["truncation"] = null, ["padding"] = null, ["added_tokens"] = added,
            ["normalizer"] = new JsonObject { ["type"] = "BertNormalizer", ["clean_text"] = true, ["handle_chinese_chars"] = true, ["strip_accents"] = null, ["lowercase"] = lowercase },
            ["pre_tokenizer"] = new JsonObject { ["type"] = "BertPreTokenizer" },
            ["post_processor"] = new JsonObject
            {
                ["type"] = "BertProcessing",
                ["sep"] = new JsonArray("[SEP]", vocab["[SEP]"]!.GetValue<int>()),
                ["cls"] = new JsonArray("[CLS]", vocab["[CLS]"]!.GetValue<int>()),
            },
            ["decoder"] = new JsonObject { ["type"] = "WordPiece", ["prefix"] = "##", ["cleanup"] = true },
            ["model"] = new JsonObject
            {
                ["type"] = "WordPiece", ["unk_token"] = "[UNK]", ["continuing_subword_prefix"] = "##",
                ["max_input_chars_per_word"] = 100, ["vocab"] = vocab,
            },
        };
        return new PipelineTokenizer(root, source, "[SEP]");
    }

    // tokenizer_config.json's eos_token and clean_up_tokenization_spaces (transformers' settings, not the pipeline's).
    private static (string? EndOfText, bool CleanUp) ReadConfig(string configPath)
    {
        if (!File.Exists(configPath)) return (null, false);
        try
        {
            var config = JsonNode.Parse(File.ReadAllText(configPath), documentOptions: StrictJson);
            string? eos = config?["eos_token"] switch
            {
                JsonValue v when v.TryGetValue(out string? s) => s,
                JsonObject o when o["content"] is JsonValue c && c.TryGetValue(out string? s) => s,
                _ => null,
            };
            bool cleanUp = config?["clean_up_tokenization_spaces"] is JsonValue b && b.TryGetValue(out bool flag) && flag;
            return (eos, cleanUp);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{configPath}: not valid JSON ({e.Message})", e);
        }
    }

    /// <summary>One more than the largest id of the model or the added tokens (ids may leave gaps).</summary>
    public int VocabSize => idLimit;

    /// <summary>
    /// transformers' <c>clean_up_tokenization_spaces</c>: after decoding, " ." becomes ".", " n't" "n't" and so on, as
    /// AutoTokenizer's decode does when the folder's tokenizer_config.json asks for it (Llama 3's does). It is not part of
    /// the tokenizer.json pipeline, and <see cref="DecodeBytes"/>, used for streaming, leaves it out.
    /// </summary>
    public bool CleanUpTokenizationSpaces { get; init; }

    /// <summary>
    /// The id of the document separator: the folder's configured eos token if given, else the first present of
    /// &lt;|endoftext|&gt;, &lt;|end_of_text|&gt;, &lt;/s&gt; and &lt;eos&gt;; -1 when there is none.
    /// </summary>
    public int EndOfTextId => endOfTextId;

    /// <summary>The added tokens marked special, in the file's order.</summary>
    public IReadOnlyList<string> SpecialTokens => added.Entries.Where(e => e.Special).Select(e => e.Content).ToArray();

    /// <summary>The id of a token, added tokens first, then the model's vocabulary; -1 when neither has it.</summary>
    public int IdOf(string token) => added.TryGetId(token, out int id) ? id : model.TryGetId(token, out id) ? id : -1;

    /// <summary>The token string of an id (an added token's content, else the model's token), or null.</summary>
    public string? TokenOf(int id) => added.ById(id)?.Content ?? model.TokenOf(id);

    /// <summary>The ids of a text without special tokens (what <see cref="ITokenizer.Encode(string)"/> promises).</summary>
    public int[] Encode(string text) => Encode(text, addSpecialTokens: false);

    /// <summary>The ids of a text, with the post-processor's special tokens (BOS, [CLS] … [SEP]) when asked.</summary>
    public int[] Encode(string text, bool addSpecialTokens)
    {
        ArgumentNullException.ThrowIfNull(text);
        var s = scratch ??= new Scratch();
        s.A.Clear();
        EncodeSequence(text, s.A, s);
        if (postProcessor is PlainJoin) return s.A.ToArray();
        s.Ids.Clear();
        s.TypeIds.Clear();
        postProcessor.Process(s.A, null, addSpecialTokens, s.Ids, s.TypeIds);
        return s.Ids.ToArray();
    }

    /// <summary>A sequence or a pair (sentence-pair classification), with the token type ids the post-processor gives.</summary>
    public (int[] Ids, int[] TypeIds) EncodeWithTypes(string text, string? pair = null, bool addSpecialTokens = true)
    {
        ArgumentNullException.ThrowIfNull(text);
        var s = scratch ??= new Scratch();
        s.A.Clear();
        EncodeSequence(text, s.A, s);
        List<int>? b = null;
        if (pair != null)
        {
            b = new List<int>();
            EncodeSequence(pair, b, s);
        }
        s.Ids.Clear();
        s.TypeIds.Clear();
        postProcessor.Process(s.A, b, addSpecialTokens, s.Ids, s.TypeIds);
        return (s.Ids.ToArray(), s.TypeIds.ToArray());
    }

    /// <summary>Encodes each document on the thread pool.</summary>
    public int[][] EncodeParallel(IReadOnlyList<string> documents, bool addSpecialTokens = false)
    {
        ArgumentNullException.ThrowIfNull(documents);
        var result = new int[documents.Count][];
        Parallel.For(0, documents.Count, i => result[i] = Encode(documents[i], addSpecialTokens));
        return result;
    }

    private void EncodeSequence(string text, List<int> ids, Scratch s)
    {
        var sink = new IdSink(model, ids);
        Walk(text, ref sink, s);
    }

    /// <summary>
    /// How often each word the model would see occurs (after added tokens are cut out, normalisation and
    /// pre-tokenisation): what trainers learn from.
    /// </summary>
    internal Dictionary<string, long> CountWords(IEnumerable<string> documents)
    {
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        var sink = new CountingSink(counts.GetAlternateLookup<ReadOnlySpan<char>>());
        var s = scratch ??= new Scratch();
        foreach (var document in documents) Walk(document, ref sink, s);
        return counts;
    }

    /// <summary>What the pipeline hands on: the id of an added token found in the text, or a word for the model.</summary>
    private interface ISink
    {
        void Added(int id);

        void Word(ReadOnlySpan<char> word);
    }

    private readonly struct IdSink(TokenizerModel model, List<int> ids) : ISink
    {
        public void Added(int id) => ids.Add(id);

        public void Word(ReadOnlySpan<char> word) => model.Tokenize(word, ids);
    }

    private readonly struct PieceSink(PipelineTokenizer tokenizer, List<string> pieces) : ISink
    {
        public void Added(int id) => pieces.Add(tokenizer.TokenOf(id)!);

        public void Word(ReadOnlySpan<char> word) => tokenizer.model.TokenizePieces(word, pieces);
    }

    /// <summary>The text's pieces as strings, without special tokens: known pieces as the vocabulary writes them, an
    /// unknown stretch as it is written (for tokenizers such as Marian's that look pieces up in another vocabulary).</summary>
    internal List<string> EncodePieces(string text)
    {
        var pieces = new List<string>();
        var sink = new PieceSink(this, pieces);
        Walk(text, ref sink, scratch ??= new Scratch());
        return pieces;
    }

    private readonly struct CountingSink(Dictionary<string, long>.AlternateLookup<ReadOnlySpan<char>> counts) : ISink
    {
        public void Added(int id) { }

        public void Word(ReadOnlySpan<char> word) => counts[word] = counts.TryGetValue(word, out long c) ? c + 1 : 1;
    }

    // Added tokens in the raw text, normalisation of what lies between, added tokens in the normalised text, then the
    // pre-tokenizers; a struct sink keeps the encoding path free of delegates.
    private void Walk<TSink>(string text, ref TSink sink, Scratch s) where TSink : struct, ISink
    {
        text = CharacterClasses.WellFormed(text);
        var outer = s.OuterSplits;
        outer.Clear();
        added.Split(text, normalizedText: false, outer);
        foreach (var (start, end, id) in outer)
        {
            if (id >= 0)
            {
                sink.Added(id);
                continue;
            }
            string piece = start == 0 && end == text.Length ? text : text[start..end];
            string normal = normalizer?.Normalize(piece) ?? piece;
            var inner = s.InnerSplits;
            inner.Clear();
            added.Split(normal, normalizedText: true, inner);
            foreach (var (innerStart, innerEnd, innerId) in inner)
            {
                if (innerId >= 0) sink.Added(innerId);
                else PreTokenize(normal.AsSpan(innerStart, innerEnd - innerStart), start == 0 && innerStart == 0, ref sink, s);
            }
        }
    }

    private void PreTokenize<TSink>(ReadOnlySpan<char> text, bool atTextStart, ref TSink sink, Scratch s) where TSink : struct, ISink
    {
        if (text.IsEmpty) return;
        if (preTokenizers.Length == 0)
        {
            sink.Word(text);
            return;
        }
        var current = s.PiecesA;
        current.Clear();
        preTokenizers[0].Split(text, atTextStart, current);
        var next = s.PiecesB;
        for (int step = 1; step < preTokenizers.Length; step++)
        {
            next.Clear();
            for (int i = 0; i < current.Count; i++) preTokenizers[step].Split(current[i], current.AtTextStart(i), next);
            (current, next) = (next, current);
        }
        for (int i = 0; i < current.Count; i++) sink.Word(current[i]);
    }

    /// <summary>The text of the ids through the decoder (special tokens left out when <paramref name="skipSpecial"/>).</summary>
    public string Decode(IEnumerable<int> ids, bool skipSpecial = false)
    {
        var tokens = Tokens(ids, skipSpecial);
        var text = decoder == null ? string.Join(' ', tokens) : string.Concat(decoder.DecodeChain(tokens));
        return CleanUpTokenizationSpaces ? CleanUp(text) : text;
    }

    internal static string CleanUp(string text) => text.Replace(" .", ".").Replace(" ?", "?").Replace(" !", "!").Replace(" ,", ",")
        .Replace(" ' ", "'").Replace(" n't", "n't").Replace(" 'm", "'m").Replace(" 's", "'s").Replace(" 've", "'ve").Replace(" 're", "'re");

    /// <summary>
    /// The raw bytes of the ids, which may end inside a UTF-8 character: exact for byte-level decoders, so streamed
    /// text can wait for a character's last byte; other decoders give the UTF-8 of their text.
    /// </summary>
    public byte[] DecodeBytes(IEnumerable<int> ids, bool skipSpecial = false) =>
        decoder is ByteLevelDecoder ? ByteLevelDecoder.Bytes(Tokens(ids, skipSpecial)) : Encoding.UTF8.GetBytes(Decode(ids, skipSpecial));

    private List<string> Tokens(IEnumerable<int> ids, bool skipSpecial)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var tokens = new List<string>();
        foreach (int id in ids)
        {
            if (added.ById(id) is { } entry)
            {
                if (!(skipSpecial && entry.Special)) tokens.Add(entry.Content);
                continue;
            }
            tokens.Add(model.TokenOf(id) ?? throw new ArgumentOutOfRangeException(nameof(ids), $"token id {id} is not in the vocabulary of {source} ({idLimit} ids)"));
        }
        return tokens;
    }

    /// <summary>Writes the tokenizer.json (as read, plus tokens added since) through a temporary file.</summary>
    public void Save(string path) => TokenizerJson.Write(path, TokenizerJson.Serialize(root));

    /// <inheritdoc/>
    /// <remarks>The new tokens take ids from <see cref="VocabSize"/> on, marked special and not normalised.</remarks>
    public ITokenizer WithSpecialTokens(IReadOnlyList<string> tokens)
    {
        var fresh = tokens.Where(t => IdOf(t) < 0 && t.Length > 0).Distinct(StringComparer.Ordinal).ToArray();
        if (fresh.Length == 0) return this;
        var copy = (JsonObject)root.DeepClone();
        var list = copy["added_tokens"] as JsonArray ?? [];
        copy["added_tokens"] = list;
        int next = idLimit;
        foreach (var t in fresh)
            list.Add(new JsonObject
            {
                ["id"] = next++, ["content"] = t, ["single_word"] = false, ["lstrip"] = false,
                ["rstrip"] = false, ["normalized"] = false, ["special"] = true,
            });
        return new PipelineTokenizer(copy, source, endOfTextId >= 0 ? TokenOf(endOfTextId) : null) { CleanUpTokenizationSpaces = CleanUpTokenizationSpaces };
    }

    /// <summary>Per-thread buffers, so encoding allocates nothing per word in steady state.</summary>
    private sealed class Scratch
    {
        public readonly List<int> A = [], Ids = [], TypeIds = [];
        public readonly List<(int, int, int)> OuterSplits = [], InnerSplits = [];
        public readonly PieceList PiecesA = new(), PiecesB = new();
    }
}
