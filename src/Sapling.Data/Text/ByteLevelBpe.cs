using System.Text;
using System.Text.RegularExpressions;

namespace Sapling.Data.Text;

/// <summary>
/// GPT-2-style byte-level BPE: text is split by GPT-2's regex, each piece is turned into UTF-8 bytes shown as
/// byte-level characters (<see cref="ByteLevel"/>), and learned merges are applied lowest rank first. Every byte has a
/// token, so any string encodes and decodes back exactly. Special tokens take the last ids, as GPT-2's
/// &lt;|endoftext|&gt; = 50256 does. Saved as a Hugging Face tokenizer.json (BPE model, ByteLevel pre-tokenizer).
/// </summary>
public sealed partial class ByteLevelBpe : ITokenizer
{
    /// <summary>
    /// GPT-2's end-of-text token, the default special token of <see cref="Train"/>; it separates documents.
    /// </summary>
    public const string EndOfText = "<|endoftext|>";

    private readonly string[] tokens;
    private readonly Dictionary<string, int> ids;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> idLookup;
    private readonly (string Left, string Right)[] merges;
    private readonly Dictionary<long, (int Rank, int Id)> mergeTable;
    private readonly int[] byteIds = new int[256];
    private readonly byte[][] tokenBytes;
    private readonly string[] specials;
    private readonly HashSet<int> specialIds = [];
    private readonly Regex? specialPattern;
    private readonly WordCache cache = new();

    /// <param name="source">Where the vocabulary came from, to start error messages with.</param>
    private ByteLevelBpe(string[] tokens, IReadOnlyList<(string Left, string Right)> merges, IReadOnlyList<string> specials, string source)
    {
        this.tokens = tokens;
        ids = new Dictionary<string, int>(tokens.Length, StringComparer.Ordinal);
        for (int i = 0; i < tokens.Length; i++)
            if (!ids.TryAdd(tokens[i], i)) throw new InvalidDataException($"{source}: token '{tokens[i]}' appears twice (ids {ids[tokens[i]]} and {i})");
        idLookup = ids.GetAlternateLookup<ReadOnlySpan<char>>();

        for (int b = 0; b < 256; b++)
            if (!ids.TryGetValue(ByteLevel.ToChar((byte)b).ToString(), out byteIds[b]))
                throw new InvalidDataException($"{source}: the vocabulary lacks the token for byte 0x{b:X2} ('{ByteLevel.ToChar((byte)b)}'), so not every text could be encoded");

        this.merges = merges.ToArray();
        mergeTable = new Dictionary<long, (int, int)>(this.merges.Length);
        for (int r = 0; r < this.merges.Length; r++)
        {
            var (left, right) = this.merges[r];
            if (!ids.TryGetValue(left, out int l) || !ids.TryGetValue(right, out int rt))
                throw new InvalidDataException($"{source}: merge #{r} ('{left}' '{right}') uses a token that is not in the vocabulary");
            if (!ids.TryGetValue(left + right, out int result))
                throw new InvalidDataException($"{source}: merge #{r} ('{left}' '{right}') makes '{left + right}', which is not in the vocabulary");
            mergeTable.TryAdd(BpeMerging.Key(l, rt), (r, result)); // a repeated merge keeps its first (lowest) rank
        }

        this.specials = specials.ToArray();
        foreach (var s in this.specials)
        {
            if (!ids.TryGetValue(s, out int id)) throw new InvalidDataException($"{source}: special token '{s}' is not in the vocabulary");
            specialIds.Add(id);
        }
        specialPattern = SpecialTokenMatcher.Build(this.specials);

        tokenBytes = new byte[tokens.Length][];
        for (int i = 0; i < tokens.Length; i++) tokenBytes[i] = BytesOf(tokens[i], specialIds.Contains(i));
    }

    /// <inheritdoc/>
    public int VocabSize => tokens.Length;
    /// <summary>The special tokens, never split or merged: matched whole in text before BPE runs.</summary>
    public IReadOnlyList<string> SpecialTokens => specials;

    /// <inheritdoc/>
    public int IdOf(string token) => ids.TryGetValue(token, out int id) ? id : -1;

    /// <inheritdoc/>
    public ITokenizer WithSpecialTokens(IReadOnlyList<string> added)
    {
        var fresh = added.Where(t => !ids.ContainsKey(t)).Distinct(StringComparer.Ordinal).ToArray();
        if (fresh.Length == 0) return this;
        return new ByteLevelBpe([.. tokens, .. fresh], merges, [.. specials, .. fresh], "added special tokens");
    }
    /// <summary>Merges in rank order (rank 0 is applied first).</summary>
    public IReadOnlyList<(string Left, string Right)> Merges => merges;
    /// <summary>Id of &lt;|endoftext|&gt;, or -1 when the vocabulary has none.</summary>
    public int EndOfTextId => ids.TryGetValue(EndOfText, out int id) ? id : -1;

    /// <summary>The token with id <paramref name="id"/> in byte-level form ("Ġthe" for " the").</summary>
    public string TokenOf(int id) =>
        (uint)id < (uint)tokens.Length ? tokens[id] : throw new ArgumentOutOfRangeException(nameof(id), $"token id {id} is outside the vocabulary (0..{tokens.Length - 1})");
    /// <summary>Looks up the id of a token in byte-level form; false when the vocabulary lacks it.</summary>
    public bool TryGetId(string token, out int id) => ids.TryGetValue(token, out id);

    /// <summary>
    /// Learns merges until <paramref name="vocabSize"/> tokens (specials included) or until no pair occurs
    /// <paramref name="minFrequency"/> times. Ids: 256 byte tokens in code-point order, merges in order learned,
    /// then the special tokens (default just &lt;|endoftext|&gt;), which are never split or learned from.
    /// </summary>
    public static ByteLevelBpe Train(IEnumerable<string> documents, int vocabSize, int minFrequency = 2, IReadOnlyList<string>? specialTokens = null)
    {
        ArgumentNullException.ThrowIfNull(documents);
        specialTokens ??= [EndOfText];
        if (specialTokens.Distinct(StringComparer.Ordinal).Count() != specialTokens.Count || specialTokens.Any(string.IsNullOrEmpty))
            throw new ArgumentException("special tokens must be distinct and non-empty", nameof(specialTokens));
        if (vocabSize < 256 + specialTokens.Count)
            throw new ArgumentOutOfRangeException(nameof(vocabSize), $"vocabSize {vocabSize} is below the 256 byte tokens plus {specialTokens.Count} special tokens");
        if (minFrequency < 1) throw new ArgumentOutOfRangeException(nameof(minFrequency), "minFrequency must be at least 1");

        var (learned, merges) = BpeTrainer.Run(documents, vocabSize, minFrequency, specialTokens);
        foreach (var s in specialTokens)
            if (learned.Contains(s)) throw new ArgumentException($"special token '{s}' is also an ordinary byte-level token", nameof(specialTokens));
        return new ByteLevelBpe([.. learned, .. specialTokens], merges, specialTokens, "training");
    }

    /// <inheritdoc/>
    public int[] Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return SpecialTokenMatcher.Encode(text, specialPattern, s => ids[s], EncodeOrdinary, text.Length / 3 + 4);
    }

    /// <summary>Encodes each document on the thread pool; the word cache is shared, so repeated words cost once.</summary>
    public int[][] EncodeParallel(IReadOnlyList<string> documents)
    {
        ArgumentNullException.ThrowIfNull(documents);
        var result = new int[documents.Count][];
        Parallel.For(0, documents.Count, i => result[i] = Encode(documents[i]));
        return result;
    }

    /// <summary>The text of the ids; bytes that are not valid UTF-8 become U+FFFD. Special tokens are kept unless <paramref name="skipSpecial"/>.</summary>
    public string Decode(IEnumerable<int> ids, bool skipSpecial = false) => Encoding.UTF8.GetString(DecodeBytes(ids, skipSpecial));

    /// <summary>The raw bytes of the ids, which need not be valid UTF-8 (a token may hold part of a character).</summary>
    public byte[] DecodeBytes(IEnumerable<int> tokenIds, bool skipSpecial = false)
    {
        ArgumentNullException.ThrowIfNull(tokenIds);
        var bytes = new List<byte>();
        foreach (int id in tokenIds)
        {
            if ((uint)id >= (uint)tokens.Length) throw new ArgumentOutOfRangeException(nameof(tokenIds), $"token id {id} is outside the vocabulary of {tokens.Length}");
            if (skipSpecial && specialIds.Contains(id)) continue;
            bytes.AddRange(tokenBytes[id]);
        }
        return bytes.ToArray();
    }

    [ThreadStatic] private static List<Tokenization.Segment>? words;

    private void EncodeOrdinary(ReadOnlySpan<char> text, List<int> result)
    {
        if (text.IsEmpty) return;
        var segments = words ??= [];
        segments.Clear();
        ByteLevel.Words.FindMatches(text, segments);
        foreach (var s in segments) result.AddRange(EncodeWord(text[s.Start..s.End]));
    }

    private int[] EncodeWord(ReadOnlySpan<char> word)
    {
        if (cache.TryGet(word, out var cached)) return cached;
        var ids = ApplyMerges(word);
        cache.Add(word, ids);
        return ids;
    }

    // Ordinary tokens are byte-level strings; special and other added tokens (not made of byte characters) are
    // their own UTF-8 text.
    private static byte[] BytesOf(string token, bool special)
    {
        if (!special)
        {
            var bytes = new byte[token.Length];
            bool allMapped = true;
            for (int i = 0; i < token.Length && allMapped; i++) allMapped = ByteLevel.TryToByte(token[i], out bytes[i]);
            if (allMapped) return bytes;
        }
        return Encoding.UTF8.GetBytes(token);
    }
}
