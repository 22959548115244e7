using System.Text.Json.Nodes;
using Sapling.Data.Json;

namespace Sapling.Data.Text.Tokenization;

/// <summary>
/// SentencePiece's Unigram model: the split of a word with the highest total log-probability (Viterbi over every
/// vocabulary piece found by a prefix trie). A code point no piece starts with becomes the unknown token, scored ten
/// below the lowest piece, and adjacent unknowns fuse; with <c>byte_fallback</c> an unknown is spelled as its UTF-8
/// byte tokens instead. Ties keep the first candidate found (shorter pieces, earlier starts), as Hugging Face does.
/// </summary>
internal sealed class UnigramModel : TokenizerModel
{
    private const double UnknownPenalty = 10.0;

    private readonly string[] pieces;
    private readonly double[] scores;
    private readonly string source;
    private readonly Dictionary<string, int> ids;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> idLookup;
    private readonly PieceTrie trie = new();
    private readonly int unkId;
    private readonly bool byteFallback;
    private readonly double unknownScore;
    private readonly int[] byteTokenIds = new int[256];
    private readonly WordCache cache = new(maxWordLength: 255);

    private UnigramModel(JsonSection s)
    {
        source = s.File;
        var vocab = s.Array("vocab");
        pieces = new string[vocab.Count];
        scores = new double[vocab.Count];
        ids = new Dictionary<string, int>(vocab.Count, StringComparer.Ordinal);
        double minScore = double.PositiveInfinity;
        for (int i = 0; i < vocab.Count; i++)
        {
            if (vocab[i] is not JsonArray { Count: 2 } entry || entry[0] is not JsonValue p || !p.TryGetValue(out string? piece)
                || !ReadScore(entry[1], out double score))
                throw s.Error($"vocab[{i}]", $"is {JsonSection.Describe(vocab[i])}, not [\"piece\", finite score]");
            pieces[i] = piece;
            scores[i] = score;
            ids[piece] = i; // a repeated piece answers with its last id, as Hugging Face's map does
            minScore = Math.Min(minScore, score);
            trie.Add(piece, i);
        }
        idLookup = ids.GetAlternateLookup<ReadOnlySpan<char>>();
        unknownScore = minScore - UnknownPenalty;
        unkId = s.Node["unk_id"] is null ? -1 : s.Int("unk_id", -1, 0, Math.Max(0, pieces.Length - 1));
        byteFallback = s.Bool("byte_fallback", false);
        for (int b = 0; b < 256; b++) byteTokenIds[b] = ids.TryGetValue($"<0x{b:X2}>", out int id) ? id : -1;
    }

    public static UnigramModel FromJson(JsonSection s) => new(s);

    // As the Rust library parses it (see RustJsonNumber); numbers built in memory have no text and are taken as they are.
    private static bool ReadScore(JsonNode? node, out double score)
    {
        if (node is JsonValue v && v.GetValueKind() == System.Text.Json.JsonValueKind.Number && v.TryGetValue(out System.Text.Json.JsonElement element))
            return RustJsonNumber.TryParse(element.GetRawText(), out score);
        return JsonSection.TryGetNumber(node, out score) && double.IsFinite(score);
    }

    public override int IdLimit => pieces.Length;

    public override bool TryGetId(string token, out int id) => ids.TryGetValue(token, out id);

    public override string? TokenOf(int id) => (uint)id < (uint)pieces.Length ? pieces[id] : null;

    public override void Tokenize(ReadOnlySpan<char> word, List<int> output)
    {
        if (cache.TryGet(word, out var cached))
        {
            output.AddRange(cached);
            return;
        }
        var result = Viterbi(word);
        cache.Add(word, result);
        output.AddRange(result);
    }

    public override void TokenizePieces(ReadOnlySpan<char> word, List<string> output)
    {
        foreach (var (start, end, id) in Segments(word)) output.Add(id == unkId ? word[start..end].ToString() : pieces[id]);
    }

    private int[] Viterbi(ReadOnlySpan<char> word)
    {
        var segments = Segments(word);
        var result = new List<int>(segments.Count);
        foreach (var (start, end, id) in segments)
        {
            if (id == unkId)
            {
                // The stretch is looked up as text, as Hugging Face does: "<unk>" typed in the text is a piece, a fused
                // run of unknown characters is not, and becomes its bytes when the model falls back to bytes.
                var text = word[start..end];
                if (idLookup.TryGetValue(text, out int known)) { result.Add(known); continue; }
                if (byteFallback && AddBytes(text, result)) continue;
            }
            result.Add(id);
        }
        return result.ToArray();
    }

    /// <summary>The best split of <paramref name="word"/> as (start, end, id) in order; runs of unknowns fused into one.</summary>
    private List<(int Start, int End, int Id)> Segments(ReadOnlySpan<char> word)
    {
        int n = word.Length;
        var bestScore = new double[n + 1];
        var bestStart = new int[n + 1];
        var bestId = new int[n + 1];
        Array.Fill(bestStart, -1);
        for (int start = 0; start < n;)
        {
            double here = bestScore[start];
            CharacterClasses.CodePointAt(word, start, out int charLength);
            bool hasSingle = false;
            int node = 0;
            for (int end = start; end < n; end++)
            {
                if (!trie.TryStep(ref node, word[end])) break;
                int id = trie.PieceAt(node);
                if (id < 0) continue;
                int stop = end + 1;
                if (stop < n && char.IsLowSurrogate(word[stop]) && char.IsHighSurrogate(word[end])) continue; // half a character
                double candidate = here + scores[id];
                if (bestStart[stop] < 0 || candidate > bestScore[stop]) (bestScore[stop], bestStart[stop], bestId[stop]) = (candidate, start, id);
                if (stop - start == charLength) hasSingle = true;
            }
            if (!hasSingle)
            {
                int stop = start + charLength;
                double candidate = here + unknownScore;
                if (bestStart[stop] < 0 || candidate > bestScore[stop])
                    (bestScore[stop], bestStart[stop], bestId[stop]) = (candidate, start, unkId >= 0 ? unkId : throw new InvalidDataException($"{source}: $.model: Unigram: '{word.Slice(start, charLength)}' is not covered by any piece and the model has no unk_id"));
            }
            start += charLength;
        }

        // Walk back from the end; consecutive unknowns become one piece.
        var reversed = new List<(int Start, int End, int Id)>();
        for (int end = n; end > 0;)
        {
            int start = bestStart[end], id = bestId[end];
            if (id == unkId && reversed.Count > 0 && reversed[^1].Id == unkId && reversed[^1].Start == end)
                reversed[^1] = (start, reversed[^1].End, unkId);
            else reversed.Add((start, end, id));
            end = start;
        }
        reversed.Reverse();
        return reversed;
    }

    private bool AddBytes(ReadOnlySpan<char> text, List<int> result)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(text.ToArray());
        foreach (byte b in bytes) if (byteTokenIds[b] < 0) return false;
        foreach (byte b in bytes) result.Add(byteTokenIds[b]);
        return true;
    }
}
