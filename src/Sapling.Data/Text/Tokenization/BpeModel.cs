using System.Text.Json.Nodes;
using Sapling.Data.Json;

namespace Sapling.Data.Text.Tokenization;

/// <summary>
/// Hugging Face's BPE model: a word is cut into code points (with the continuing-subword prefix on all but the
/// first and the end-of-word suffix on the last), unknown ones become their UTF-8 byte tokens (<c>byte_fallback</c>)
/// or the unknown token (fused when <c>fuse_unk</c>), then the merges are applied lowest rank first. With
/// <c>ignore_merges</c> a word that is itself in the vocabulary is taken whole. Words are cached.
/// </summary>
internal sealed class BpeModel : TokenizerModel
{
    private readonly Dictionary<string, int> ids;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> idLookup;
    private readonly string?[] tokens;
    private readonly Dictionary<long, (int Rank, int Id)> merges;
    private readonly int[] charIds; // the id of each BMP character as a token of its own, or -1
    private readonly string? prefix, suffix;
    private readonly int unkId = -1;
    private readonly bool fuseUnk, byteFallback, ignoreMerges;
    private readonly int[] byteTokenIds = new int[256]; // <0xHH> tokens, -1 when absent
    private readonly WordCache cache = new(maxWordLength: 255);

    private BpeModel(JsonSection s)
    {
        (ids, tokens) = ReadVocabulary(s);
        idLookup = ids.GetAlternateLookup<ReadOnlySpan<char>>();
        prefix = NullIfEmpty(s.OptionalString("continuing_subword_prefix"));
        suffix = NullIfEmpty(s.OptionalString("end_of_word_suffix"));
        fuseUnk = s.Bool("fuse_unk", false);
        byteFallback = s.Bool("byte_fallback", false);
        ignoreMerges = s.Bool("ignore_merges", false);
        if (s.OptionalDouble("dropout") is { } dropout && dropout != 0)
            throw s.Error("dropout", $"BPE dropout ({dropout}) samples a different split on every call; it is a training-time option and is not supported here");
        if (s.OptionalString("unk_token") is { } unk)
            unkId = ids.TryGetValue(unk, out int u) ? u : throw s.Error("unk_token", $"'{unk}' is not in the vocabulary");

        charIds = new int[65536];
        Array.Fill(charIds, -1);
        foreach (var (token, id) in ids)
            if (token.Length == 1) charIds[token[0]] = id;
        for (int b = 0; b < 256; b++) byteTokenIds[b] = ids.TryGetValue($"<0x{b:X2}>", out int id) ? id : -1;

        merges = ReadMerges(s);
    }

    public static BpeModel FromJson(JsonSection s) => new(s);

    public override int IdLimit => tokens.Length;

    public override bool TryGetId(string token, out int id) => ids.TryGetValue(token, out id);

    public override string? TokenOf(int id) => (uint)id < (uint)tokens.Length ? tokens[id] : null;

    private static string? NullIfEmpty(string? s) => string.IsNullOrEmpty(s) ? null : s;

    // Merges are "left right" strings (older files) or [left, right] pairs; a pair named twice keeps its last rank,
    // as Hugging Face's map does.
    private Dictionary<long, (int Rank, int Id)> ReadMerges(JsonSection s)
    {
        var array = s.Node["merges"] switch
        {
            null => [],
            JsonArray a => a,
            var other => throw s.Error("merges", $"is {JsonSection.Describe(other)}, not an array"),
        };
        var table = new Dictionary<long, (int, int)>(array.Count);
        int prefixLength = prefix?.Length ?? 0;
        for (int rank = 0; rank < array.Count; rank++)
        {
            string left, right;
            switch (array[rank])
            {
                case JsonArray { Count: 2 } pair when pair[0] is JsonValue l && pair[1] is JsonValue r && l.TryGetValue(out string? a) && r.TryGetValue(out string? b):
                    (left, right) = (a, b);
                    break;
                case JsonValue v when v.TryGetValue(out string? text) && text.Split(' ') is [var a, var b]:
                    (left, right) = (a, b);
                    break;
                default:
                    throw s.Error($"merges[{rank}]", $"is {JsonSection.Describe(array[rank])}, neither \"left right\" nor [\"left\", \"right\"]");
            }
            if (!ids.TryGetValue(left, out int leftId)) throw s.Error($"merges[{rank}]", $"'{left}' is not in the vocabulary");
            if (!ids.TryGetValue(right, out int rightId)) throw s.Error($"merges[{rank}]", $"'{right}' is not in the vocabulary");
            string merged = left + (prefixLength > 0 && right.StartsWith(prefix!, StringComparison.Ordinal) ? right[prefixLength..] : right);
            if (!ids.TryGetValue(merged, out int mergedId)) throw s.Error($"merges[{rank}]", $"makes '{merged}', which is not in the vocabulary");
            table[BpeMerging.Key(leftId, rightId)] = (rank, mergedId);
        }
        return table;
    }

    public override void Tokenize(ReadOnlySpan<char> word, List<int> output)
    {
        if (ignoreMerges && idLookup.TryGetValue(word, out int whole))
        {
            output.Add(whole);
            return;
        }
        if (cache.TryGet(word, out var cached))
        {
            output.AddRange(cached);
            return;
        }
        var merged = BpeMerging.Merge(Symbols(word), merges);
        cache.Add(word, merged);
        output.AddRange(merged);
    }

    // The word's starting symbols, one per code point (or per byte, or fused unknowns).
    private int[] Symbols(ReadOnlySpan<char> word)
    {
        var symbols = new List<int>(word.Length);
        Span<char> buffer = stackalloc char[2 + (prefix?.Length ?? 0) + (suffix?.Length ?? 0)];
        int pendingUnk = -1; // an unknown waiting to be fused with the next
        for (int i = 0; i < word.Length;)
        {
            CharacterClasses.CodePointAt(word, i, out int length);
            bool first = i == 0, last = i + length == word.Length;
            int id;
            scoped ReadOnlySpan<char> symbol;
            if ((first || prefix == null) && (!last || suffix == null))
            {
                symbol = word.Slice(i, length);
                id = length == 1 ? charIds[word[i]] : idLookup.TryGetValue(symbol, out int found) ? found : -1;
            }
            else
            {
                int n = 0;
                if (!first && prefix != null) { prefix.CopyTo(buffer); n = prefix.Length; }
                word.Slice(i, length).CopyTo(buffer[n..]);
                n += length;
                if (last && suffix != null) { suffix.CopyTo(buffer[n..]); n += suffix.Length; }
                symbol = buffer[..n];
                id = idLookup.TryGetValue(symbol, out int found) ? found : -1;
            }
            i += length;
            if (id >= 0)
            {
                if (pendingUnk >= 0) { symbols.Add(pendingUnk); pendingUnk = -1; }
                symbols.Add(id);
                continue;
            }
            if (byteFallback && AddBytes(symbol, symbols)) continue;
            if (unkId >= 0)
            {
                if (pendingUnk >= 0 && !fuseUnk) symbols.Add(pendingUnk);
                pendingUnk = unkId;
            }
            // With neither, Hugging Face drops the symbol silently; so does this.
        }
        if (pendingUnk >= 0) symbols.Add(pendingUnk);
        return symbols.ToArray();
    }

    private bool AddBytes(ReadOnlySpan<char> symbol, List<int> symbols)
    {
        Span<byte> bytes = stackalloc byte[System.Text.Encoding.UTF8.GetMaxByteCount(symbol.Length)];
        int n = System.Text.Encoding.UTF8.GetBytes(symbol, bytes);
        for (int b = 0; b < n; b++)
            if (byteTokenIds[bytes[b]] < 0) return false;
        for (int b = 0; b < n; b++) symbols.Add(byteTokenIds[bytes[b]]);
        return true;
    }
}
