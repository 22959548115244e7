using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Sapling.Data.Text;

/// <summary>
/// The tokenizer of a Marian (opus-mt) folder, as transformers' MarianTokenizer runs it: <c>source.spm</c> cuts source
/// text and <c>target.spm</c> target text into SentencePiece pieces, one <c>vocab.json</c> gives both sides' ids (a piece
/// it lacks is &lt;unk&gt;), &lt;/s&gt; ends every sequence, and a leading <c>&gt;&gt;lang&lt;&lt;</c> code (multilingual
/// models) is kept as one token. These folders have no tokenizer.json: Hugging Face has no fast Marian tokenizer.
/// </summary>
public sealed partial class MarianTokenizer : ITokenizer, ITargetTokenizer
{
    /// <summary>
    /// The file names in a Marian folder: the source and target SentencePiece models and the shared vocabulary.
    /// </summary>
    public const string SourceFile = "source.spm", TargetFile = "target.spm", VocabFile = "vocab.json";

    private readonly byte[] sourceBytes, targetBytes;
    private readonly SentencePieceModel targetModel;
    private readonly Tokenization.PipelineTokenizer sourcePieces, targetPieces;
    private readonly Dictionary<string, int> ids;
    private readonly string[] tokens;
    private readonly int eosId, unkId, padId;

    private MarianTokenizer(byte[] sourceBytes, byte[] targetBytes, Dictionary<string, int> ids, string directory)
    {
        (this.sourceBytes, this.targetBytes, this.ids) = (sourceBytes, targetBytes, ids);
        var sourceModel = SentencePieceModel.Parse(sourceBytes, Path.Combine(directory, SourceFile));
        targetModel = SentencePieceModel.Parse(targetBytes, Path.Combine(directory, TargetFile));
        sourcePieces = sourceModel.ToPlainPipeline(Path.Combine(directory, SourceFile));
        targetPieces = targetModel.ToPlainPipeline(Path.Combine(directory, TargetFile));
        var vocabPath = Path.Combine(directory, VocabFile);
        int size = 0;
        foreach (var id in ids.Values)
        {
            if (id < 0 || id >= ids.Count) throw new InvalidDataException($"{vocabPath}: id {id} is outside 0..{ids.Count - 1}; the ids must number the pieces without gaps");
            size = Math.Max(size, id + 1);
        }
        tokens = new string[size];
        foreach (var (piece, id) in ids)
        {
            if (tokens[id] != null) throw new InvalidDataException($"{vocabPath}: id {id} is given to both '{tokens[id]}' and '{piece}'");
            tokens[id] = piece;
        }
        int Required(string token) => ids.TryGetValue(token, out int id) ? id : throw new InvalidDataException($"{vocabPath}: has no '{token}' (MarianTokenizer's {token switch { "</s>" => "eos", "<unk>" => "unk", _ => "pad" }} token)");
        (eosId, unkId, padId) = (Required("</s>"), Required("<unk>"), Required("<pad>"));
    }

    /// <summary>Reads source.spm, target.spm and vocab.json from a Marian folder.</summary>
    public static MarianTokenizer Load(string directory)
    {
        foreach (var name in new[] { SourceFile, TargetFile, VocabFile })
            if (!File.Exists(Path.Combine(directory, name))) throw new FileNotFoundException($"Marian tokenizer folder '{directory}' has no {name}", Path.Combine(directory, name));
        if (File.Exists(Path.Combine(directory, "target_vocab.json")))
            throw new NotSupportedException($"{directory}: separate source and target vocabularies (target_vocab.json) are not supported; one vocab.json serves both sides");
        var vocabPath = Path.Combine(directory, VocabFile);
        if (new FileInfo(vocabPath).Length > SentencePieceModel.MaxFileBytes) throw new InvalidDataException($"{vocabPath}: too large for a vocabulary");
        Dictionary<string, int> ids;
        try
        {
            ids = JsonSerializer.Deserialize<Dictionary<string, int>>(File.ReadAllText(vocabPath, Encoding.UTF8))
                ?? throw new InvalidDataException($"{vocabPath}: empty");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{vocabPath}: not a JSON object of piece → id ({e.Message})", e);
        }
        return new MarianTokenizer(SentencePieceModel.ReadBytes(Path.Combine(directory, SourceFile)), SentencePieceModel.ReadBytes(Path.Combine(directory, TargetFile)), ids, directory);
    }

    /// <summary>Whether <paramref name="directory"/> holds a Marian tokenizer (source.spm and vocab.json).</summary>
    public static bool IsIn(string directory) => File.Exists(Path.Combine(directory, SourceFile)) && File.Exists(Path.Combine(directory, VocabFile));

    /// <inheritdoc/>
    public int VocabSize => tokens.Length;

    /// <summary>
    /// The id of &lt;/s&gt;, which ends every Marian sequence (these vocabularies have no &lt;|endoftext|&gt;).
    /// </summary>
    public int EndOfTextId => eosId;

    /// <inheritdoc/>
    public int IdOf(string token) => ids.TryGetValue(token, out int id) ? id : -1;

    // transformers' language_code_re: a code at the start is kept whole; every match is taken out of the text.
    [GeneratedRegex(">>.+<<")]
    private static partial Regex LanguageCode();

    /// <summary>Source text's ids, without &lt;/s&gt;.</summary>
    public int[] Encode(string text) => Encode(text, sourcePieces);

    /// <summary>Source text's ids, &lt;/s&gt; last when <paramref name="addSpecialTokens"/>.</summary>
    public int[] Encode(string text, bool addSpecialTokens) => addSpecialTokens ? [.. Encode(text), eosId] : Encode(text);

    /// <summary>Target text's ids (cut by target.spm), &lt;/s&gt; last when <paramref name="addSpecialTokens"/>.</summary>
    public int[] EncodeTarget(string text, bool addSpecialTokens)
    {
        var encoded = Encode(text, targetPieces);
        return addSpecialTokens ? [.. encoded, eosId] : encoded;
    }

    // MarianTokenizer's special tokens, matched whole wherever they are typed (transformers splits on them first).
    [GeneratedRegex("</s>|<unk>|<pad>")]
    private static partial Regex SpecialToken();

    private int[] Encode(string text, Tokenization.PipelineTokenizer pieces)
    {
        ArgumentNullException.ThrowIfNull(text);
        var output = new List<int>();
        var code = LanguageCode().Match(text);
        if (code.Success && code.Index == 0) output.Add(IdOf(code.Value) is >= 0 and var c ? c : unkId);
        text = LanguageCode().Replace(text, "");
        int at = 0;
        foreach (Match special in SpecialToken().Matches(text))
        {
            Pieces(text[at..special.Index]);
            output.Add(ids[special.Value]);
            at = special.Index + special.Length;
        }
        Pieces(text[at..]);
        return [.. output];

        // The model's pieces as text (an unknown stretch as written), each looked up in vocab.json, as transformers does.
        void Pieces(string part)
        {
            foreach (var piece in pieces.EncodePieces(part)) output.Add(ids.TryGetValue(piece, out int id) ? id : unkId);
        }
    }

    /// <summary>
    /// Target ids back to text as MarianTokenizer decodes them: the pieces between special tokens (&lt;/s&gt;, &lt;unk&gt;,
    /// &lt;pad&gt;) joined as target.spm decodes pieces; the special tokens written as they are unless skipped.
    /// </summary>
    public string Decode(IEnumerable<int> ids, bool skipSpecial = false)
    {
        var text = new StringBuilder();
        var run = new StringBuilder();
        void Flush()
        {
            // SentencePiece's decode: ▁ becomes a space and the dummy prefix's space before the first piece goes.
            var joined = run.Replace('\u2581', ' ').ToString();
            if (targetModel.AddDummyPrefix && joined.StartsWith(' ')) joined = joined[1..];
            text.Append(joined);
            run.Clear();
        }
        foreach (int id in ids)
        {
            if ((uint)id >= (uint)tokens.Length || tokens[id] == null) throw new ArgumentOutOfRangeException(nameof(ids), $"token id {id} is outside the Marian vocabulary of {tokens.Length}");
            if (id == eosId || id == unkId || id == padId)
            {
                if (skipSpecial) continue;
                Flush();
                text.Append(tokens[id]).Append(' ');
            }
            else run.Append(tokens[id]);
        }
        Flush();
        return text.ToString().Trim();
    }

    /// <summary>Writes source.spm, target.spm and vocab.json beside <paramref name="path"/> (the folder's tokenizer.json
    /// path, which a Marian folder does not have), as the folder it was read from had them.</summary>
    public void Save(string path)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(directory);
        TokenizerJson.Write(Path.Combine(directory, SourceFile), sourceBytes);
        TokenizerJson.Write(Path.Combine(directory, TargetFile), targetBytes);
        TokenizerJson.Write(Path.Combine(directory, VocabFile), JsonSerializer.Serialize(ids, new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
    }

    /// <summary>
    /// Returns this tokenizer when every token is already in vocab.json; throws <see cref="NotSupportedException"/>
    /// otherwise, because a Marian vocabulary cannot grow.
    /// </summary>
    public ITokenizer WithSpecialTokens(IReadOnlyList<string> tokens)
    {
        foreach (var token in tokens)
            if (IdOf(token) < 0) throw new NotSupportedException($"a Marian tokenizer's vocabulary (vocab.json) cannot grow: '{token}' is not in it");
        return this;
    }
}
