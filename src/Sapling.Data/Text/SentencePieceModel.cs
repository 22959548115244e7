using System.Text.Json.Nodes;
using Google.Protobuf;
using Sapling.Data.Text.Tokenization;

namespace Sapling.Data.Text;

/// <summary>
/// A SentencePiece model file (<c>spiece.model</c>, <c>tokenizer.model</c>, Marian's <c>source.spm</c>): the protobuf
/// <c>ModelProto</c> that sentencepiece's trainer writes — pieces with scores and types, the trainer's settings (Unigram
/// or BPE, byte fallback, special ids) and the normaliser's (compiled character map, dummy prefix, whitespace
/// collapsing). Sapling runs it by laying it out as the tokenizer.json Hugging Face converts it to and loading that
/// through <see cref="PipelineTokenizer"/>; settings that layout cannot express are refused by name.
/// </summary>
public sealed record SentencePieceModel
{
    /// <summary>TrainerSpec.ModelType.</summary>
    public enum Algorithm
    {
        /// <summary>Unigram language model: the most probable split by piece scores.</summary>
        Unigram = 1,
        /// <summary>Byte-pair encoding: pieces merged in score order.</summary>
        Bpe = 2,
        /// <summary>Whole whitespace-separated words as pieces; not supported by Sapling.</summary>
        Word = 3,
        /// <summary>One piece per character; not supported by Sapling.</summary>
        Char = 4,
    }

    // Field numbers of sentencepiece_model.proto.
    private const int PiecesField = 1, TrainerSpecField = 2, NormalizerSpecField = 3;

    /// <summary>The largest file read: the biggest published vocabularies (250,000 pieces) take a few MB.</summary>
    public const long MaxFileBytes = 256L << 20;

    /// <summary>The piece texts in id order (▁ marks a word start).</summary>
    public required string[] Pieces { get; init; }
    /// <summary>Each piece's score, by id: a log probability for Unigram, the merge priority for BPE.</summary>
    public required float[] Scores { get; init; }

    /// <summary>SentencePiece's piece types, which are llama.cpp's token types.</summary>
    public required GgufVocabulary.TokenType[] Types { get; init; }

    /// <summary>The segmentation algorithm (trainer_spec.model_type); Unigram by default.</summary>
    public Algorithm ModelType { get; init; } = Algorithm.Unigram;
    /// <summary>
    /// Whether characters without a piece become their UTF-8 bytes as &lt;0xNN&gt; pieces instead of unknown.
    /// </summary>
    public bool ByteFallback { get; init; }
    /// <summary>
    /// Whether text is split at whitespace before pieces are found (trainer_spec.split_by_whitespace).
    /// </summary>
    public bool SplitByWhitespace { get; init; } = true;
    /// <summary>Whether ▁ ends words instead of starting them; such models are refused.</summary>
    public bool TreatWhitespaceAsSuffix { get; init; }
    /// <summary>The id of the unknown piece (trainer_spec.unk_id); 0 by default.</summary>
    public int UnknownId { get; init; }
    /// <summary>
    /// The id of the beginning-of-sentence piece (trainer_spec.bos_id); 1 by default, negative when absent.
    /// </summary>
    public int BosId { get; init; } = 1;
    /// <summary>
    /// The id of the end-of-sentence piece (trainer_spec.eos_id); 2 by default, negative when absent.
    /// </summary>
    public int EosId { get; init; } = 2;
    /// <summary>The id of the padding piece (trainer_spec.pad_id); -1 (none) by default.</summary>
    public int PadId { get; init; } = -1;

    /// <summary>NormalizerSpec.name ("nmt_nfkc", "identity", …), for messages.</summary>
    public string NormalizerName { get; init; } = "";

    /// <summary>The compiled normalisation rules; empty for the identity normaliser.</summary>
    public byte[] PrecompiledCharsmap { get; init; } = [];

    /// <summary>Whether a ▁ is put before the text so its first word looks like any other (normalizer_spec).</summary>
    public bool AddDummyPrefix { get; init; } = true;
    /// <summary>
    /// Whether leading, trailing and repeated spaces are collapsed before segmentation (normalizer_spec).
    /// </summary>
    public bool RemoveExtraWhitespaces { get; init; } = true;
    /// <summary>Whether spaces are written as ▁ (normalizer_spec); models without it are refused.</summary>
    public bool EscapeWhitespaces { get; init; } = true;

    /// <summary>
    /// Reads and parses the model file at <paramref name="path"/>; throws when it is missing, too large or not a valid
    /// SentencePiece model.
    /// </summary>
    public static SentencePieceModel Read(string path) => Parse(ReadBytes(path), path);

    /// <summary>The file's bytes, refused before reading when it is missing or larger than a model can be.</summary>
    internal static byte[] ReadBytes(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"SentencePiece model '{path}' not found", path);
        long length = new FileInfo(path).Length;
        if (length > MaxFileBytes) throw new InvalidDataException($"{path}: {length:N0} bytes is more than a SentencePiece model holds (at most {MaxFileBytes >> 20} MB read)");
        return File.ReadAllBytes(path);
    }

    /// <summary>A model from the bytes of its file; <paramref name="source"/> names it in errors.</summary>
    public static SentencePieceModel Parse(byte[] data, string source)
    {
        var pieces = new List<string>();
        var scores = new List<float>();
        var types = new List<GgufVocabulary.TokenType>();
        var model = new SentencePieceModel { Pieces = [], Scores = [], Types = [] };
        bool trainerSpec = false, normalizerSpec = false;
        try
        {
            var input = new CodedInputStream(data);
            uint tag;
            while ((tag = input.ReadTag()) != 0)
            {
                switch (WireFormat.GetTagFieldNumber(tag))
                {
                    case PiecesField:
                        var (piece, score, type) = ReadPiece(Message(input, tag, "pieces", source), pieces.Count, source);
                        pieces.Add(piece);
                        scores.Add(score);
                        types.Add(type);
                        break;
                    case TrainerSpecField:
                        model = ReadTrainerSpec(Message(input, tag, "trainer_spec", source), model, source);
                        trainerSpec = true;
                        break;
                    case NormalizerSpecField:
                        model = ReadNormalizerSpec(Message(input, tag, "normalizer_spec", source), model, source);
                        normalizerSpec = true;
                        break;
                    default:
                        input.SkipLastField();
                        break;
                }
            }
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new InvalidDataException($"{source}: not a SentencePiece model (protobuf ModelProto): {e.Message}", e);
        }
        if (pieces.Count == 0) throw new InvalidDataException($"{source}: the SentencePiece model has no pieces");
        // sentencepiece writes both settings after the pieces: a file without them was cut short.
        if (!trainerSpec || !normalizerSpec)
            throw new InvalidDataException($"{source}: the SentencePiece model has no {(trainerSpec ? "normalizer_spec" : "trainer_spec")} after its {pieces.Count} pieces; the file is incomplete");
        model = model with { Pieces = [.. pieces], Scores = [.. scores], Types = [.. types] };
        foreach (var (id, name) in new[] { (model.UnknownId, "unk_id"), (model.BosId, "bos_id"), (model.EosId, "eos_id"), (model.PadId, "pad_id") })
            if (id >= pieces.Count) throw new InvalidDataException($"{source}: trainer_spec.{name} {id} is outside the {pieces.Count} pieces");
        if (model.UnknownId < 0) throw new InvalidDataException($"{source}: trainer_spec.unk_id is {model.UnknownId}; a SentencePiece model needs an unknown piece");
        return model;
    }

    private static CodedInputStream Message(CodedInputStream input, uint tag, string field, string source)
    {
        if (WireFormat.GetTagWireType(tag) != WireFormat.WireType.LengthDelimited)
            throw new InvalidDataException($"{source}: ModelProto.{field} is not a message (wire type {WireFormat.GetTagWireType(tag)})");
        return input.ReadBytes().CreateCodedInput();
    }

    private static void Expect(uint tag, WireFormat.WireType wire, string field, string source)
    {
        if (WireFormat.GetTagWireType(tag) != wire)
            throw new InvalidDataException($"{source}: {field} has wire type {WireFormat.GetTagWireType(tag)}, not {wire}");
    }

    private static (string Piece, float Score, GgufVocabulary.TokenType Type) ReadPiece(CodedInputStream input, int index, string source)
    {
        string piece = "";
        float score = 0;
        var type = GgufVocabulary.TokenType.Normal;
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1:
                    Expect(tag, WireFormat.WireType.LengthDelimited, $"pieces[{index}].piece", source);
                    piece = input.ReadString();
                    break;
                case 2:
                    Expect(tag, WireFormat.WireType.Fixed32, $"pieces[{index}].score", source);
                    score = input.ReadFloat();
                    if (!float.IsFinite(score)) throw new InvalidDataException($"{source}: pieces[{index}].score is {score}");
                    break;
                case 3:
                    Expect(tag, WireFormat.WireType.Varint, $"pieces[{index}].type", source);
                    int value = input.ReadInt32();
                    if (value is < 1 or > 6) throw new InvalidDataException($"{source}: pieces[{index}].type {value} is not a SentencePiece piece type (1 to 6)");
                    type = (GgufVocabulary.TokenType)value;
                    break;
                default:
                    input.SkipLastField();
                    break;
            }
        }
        if (piece.Length == 0) throw new InvalidDataException($"{source}: pieces[{index}] has no text");
        return (piece, score, type);
    }

    private static SentencePieceModel ReadTrainerSpec(CodedInputStream input, SentencePieceModel model, string source)
    {
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            int field = WireFormat.GetTagFieldNumber(tag);
            switch (field)
            {
                case 3:
                    Expect(tag, WireFormat.WireType.Varint, "trainer_spec.model_type", source);
                    int type = input.ReadInt32();
                    if (type is < 1 or > 4) throw new InvalidDataException($"{source}: trainer_spec.model_type {type} is not UNIGRAM, BPE, WORD or CHAR");
                    model = model with { ModelType = (Algorithm)type };
                    break;
                case 22 or 24 or 35:
                    Expect(tag, WireFormat.WireType.Varint, $"trainer_spec field {field}", source);
                    bool flag = input.ReadBool();
                    model = field switch
                    {
                        22 => model with { SplitByWhitespace = flag },
                        24 => model with { TreatWhitespaceAsSuffix = flag },
                        _ => model with { ByteFallback = flag },
                    };
                    break;
                case >= 40 and <= 43:
                    Expect(tag, WireFormat.WireType.Varint, $"trainer_spec field {field}", source);
                    int id = input.ReadInt32();
                    model = field switch
                    {
                        40 => model with { UnknownId = id },
                        41 => model with { BosId = id },
                        42 => model with { EosId = id },
                        _ => model with { PadId = id },
                    };
                    break;
                default:
                    input.SkipLastField();
                    break;
            }
        }
        return model;
    }

    private static SentencePieceModel ReadNormalizerSpec(CodedInputStream input, SentencePieceModel model, string source)
    {
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            int field = WireFormat.GetTagFieldNumber(tag);
            switch (field)
            {
                case 1:
                    Expect(tag, WireFormat.WireType.LengthDelimited, "normalizer_spec.name", source);
                    model = model with { NormalizerName = input.ReadString() };
                    break;
                case 2:
                    Expect(tag, WireFormat.WireType.LengthDelimited, "normalizer_spec.precompiled_charsmap", source);
                    model = model with { PrecompiledCharsmap = input.ReadBytes().ToByteArray() };
                    break;
                case 3 or 4 or 5:
                    Expect(tag, WireFormat.WireType.Varint, $"normalizer_spec field {field}", source);
                    bool flag = input.ReadBool();
                    model = field switch
                    {
                        3 => model with { AddDummyPrefix = flag },
                        4 => model with { RemoveExtraWhitespaces = flag },
                        _ => model with { EscapeWhitespaces = flag },
                    };
                    break;
                default:
                    input.SkipLastField();
                    break;
            }
        }
        return model;
    }

    /// <summary>A BPE model as llama.cpp's "llama" vocabulary (pieces, scores and types as they are), for GGUF files.</summary>
    public GgufVocabulary ToGgufVocabulary(bool addBos, bool addEos, string source = "tokenizer.model")
    {
        if (ModelType != Algorithm.Bpe)
            throw new NotSupportedException($"{source}: a {ModelType.ToString().ToUpperInvariant()} SentencePiece model has no llama.cpp vocabulary here; GGUF export takes BPE models (Llama's tokenizer.model)");
        RequireWhitespaceMarking(source);
        if (PrecompiledCharsmap.Length > 0 || RemoveExtraWhitespaces)
            throw new NotSupportedException($"{source}: a BPE SentencePiece model with normalizer '{NormalizerName}'{(RemoveExtraWhitespaces ? " and remove_extra_whitespaces" : "")} is not supported; BPE models are read in Llama's layout (identity normalizer, spaces kept)");
        return new GgufVocabulary
        {
            Model = "llama", Tokens = Pieces, Types = Types, Scores = Scores,
            BosId = BosId >= 0 ? BosId : null, EosId = EosId >= 0 ? EosId : null, UnknownId = UnknownId, PaddingId = PadId >= 0 ? PadId : null,
            AddBos = addBos, AddEos = addEos, AddSpacePrefix = AddDummyPrefix,
        };
    }

    /// <summary>Spaces must be written as ▁ at the start of words, the only whitespace marking the layouts express.</summary>
    private void RequireWhitespaceMarking(string source)
    {
        if (!EscapeWhitespaces) throw new NotSupportedException($"{source}: normalizer_spec.escape_whitespaces false is not supported (spaces are written as ▁)");
        if (TreatWhitespaceAsSuffix) throw new NotSupportedException($"{source}: trainer_spec.treat_whitespace_as_suffix is not supported (▁ marks the start of a word)");
    }

    /// <summary>The tokenizer this model describes: no special tokens added unless asked (SentencePiece's own encode adds
    /// none; T5 appends &lt;/s&gt;, Llama puts &lt;s&gt; first).</summary>
    public ITokenizer ToTokenizer(string source, bool addBos = false, bool addEos = false) => ToPipeline(source, addBos, addEos);

    internal PipelineTokenizer ToPipeline(string source, bool addBos = false, bool addEos = false) =>
        PipelineTokenizer.FromDocument(ToTokenizerJson(source, addBos, addEos), source, EosId >= 0 ? Pieces[EosId] : null);

    /// <summary>
    /// The Unigram model as sentencepiece itself cuts text, for tokenizers that match their own special tokens (Marian):
    /// no piece is matched whole, and control, unknown and unused pieces never take part in the split. Their texts are
    /// prefixed with a lone surrogate, which no input can contain (the pipeline replaces one in the input), so they
    /// keep their ids without being matchable. Internal: the layout is never saved.
    /// </summary>
    internal PipelineTokenizer ToPlainPipeline(string source)
    {
        if (ModelType != Algorithm.Unigram) return ToPipeline(source);
        var root = ToTokenizerJson(source);
        root["added_tokens"] = new JsonArray();
        var vocab = (JsonArray)root["model"]!["vocab"]!;
        for (int id = 0; id < Pieces.Length; id++)
            if (Types[id] is GgufVocabulary.TokenType.Control or GgufVocabulary.TokenType.Unknown or GgufVocabulary.TokenType.Unused)
                vocab[id] = new JsonArray("\uD800" + Pieces[id], Scores[id]);
        return PipelineTokenizer.FromDocument(root, source, null);
    }

    /// <summary>
    /// The tokenizer.json layout of this model. Unigram: the compiled character map, then (with remove_extra_whitespaces)
    /// runs of spaces collapsed and the text's leading and trailing space removed; "▁" for spaces and in front of the
    /// text; the Viterbi split with unknowns fused (or spelled as byte tokens with byte_fallback). BPE: Llama's layout
    /// (see <see cref="GgufVocabulary"/>). Control, unknown and user-defined pieces are matched whole, as Hugging Face's
    /// converted tokenizers do.
    /// </summary>
    public JsonObject ToTokenizerJson(string source, bool addBos = false, bool addEos = false)
    {
        RequireWhitespaceMarking(source);
        if (ModelType == Algorithm.Bpe) return ToGgufVocabulary(addBos, addEos, source).ToTokenizerJson(source);
        if (ModelType != Algorithm.Unigram)
            throw new NotSupportedException($"{source}: trainer_spec.model_type {ModelType.ToString().ToUpperInvariant()} is not supported (UNIGRAM and BPE are)");

        var normalizers = new JsonArray();
        if (PrecompiledCharsmap.Length > 0)
            normalizers.Add(new JsonObject { ["type"] = "Precompiled", ["precompiled_charsmap"] = Convert.ToBase64String(PrecompiledCharsmap) });
        if (RemoveExtraWhitespaces)
        {
            // SentencePiece collapses only U+0020 (after the character map, which turns other spaces into it).
            normalizers.Add(new JsonObject { ["type"] = "Replace", ["pattern"] = new JsonObject { ["Regex"] = " {2,}" }, ["content"] = " " });
            // \A and \z: the ends of the whole text (^ and $ would also match beside every newline).
            normalizers.Add(new JsonObject { ["type"] = "Replace", ["pattern"] = new JsonObject { ["Regex"] = "\\A | \\z" }, ["content"] = "" });
        }
        var vocab = new JsonArray();
        for (int i = 0; i < Pieces.Length; i++) vocab.Add(new JsonArray(Pieces[i], Scores[i]));
        var added = GgufVocabulary.AddedTokens(Pieces, Types);
        var metaspace = new JsonObject { ["type"] = "Metaspace", ["replacement"] = "▁", ["prepend_scheme"] = AddDummyPrefix ? "always" : "never", ["split"] = SplitByWhitespace };
        JsonNode decoder = ByteFallback
            ? new JsonObject
            {
                ["type"] = "Sequence",
                ["decoders"] = new JsonArray(
                    new JsonObject { ["type"] = "Replace", ["pattern"] = new JsonObject { ["String"] = "▁" }, ["content"] = " " },
                    new JsonObject { ["type"] = "ByteFallback" },
                    new JsonObject { ["type"] = "Fuse" },
                    new JsonObject { ["type"] = "Strip", ["content"] = " ", ["start"] = AddDummyPrefix ? 1 : 0, ["stop"] = 0 }),
            }
            : metaspace.DeepClone();
        return new JsonObject
        {
            ["version"] = "1.0",
            ["added_tokens"] = added,
            ["normalizer"] = new JsonObject { ["type"] = "Sequence", ["normalizers"] = normalizers },
            ["pre_tokenizer"] = metaspace,
            ["post_processor"] = GgufVocabulary.Template(Pieces, addBos && BosId >= 0 ? BosId : null, addEos && EosId >= 0 ? EosId : null, null),
            ["decoder"] = decoder,
            ["model"] = new JsonObject { ["type"] = "Unigram", ["unk_id"] = UnknownId, ["byte_fallback"] = ByteFallback, ["vocab"] = vocab },
        };
    }
}
