using System.Text;
using System.Text.RegularExpressions;

namespace Sapling.Data.Text;

/// <summary>
/// Learns byte-level BPE merges. Pair counts are kept up to date as merges happen, touching only the words that
/// hold the merged pair, and the best pair comes from a priority queue whose stale entries are re-queued when they
/// surface, so a merge costs time in proportion to the words it changes rather than to the corpus.
/// </summary>
internal static class BpeTrainer
{
    public static (List<string> Tokens, List<(string Left, string Right)> Merges) Run(
        IEnumerable<string> documents, int vocabSize, int minFrequency, IReadOnlyList<string> specials)
    {
        var wordCounts = CountWords(documents, SpecialTokenMatcher.Build(specials));

        var tokens = new List<string>(vocabSize);
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (char c in ByteLevel.Alphabet)
        {
            ids[c.ToString()] = tokens.Count;
            tokens.Add(c.ToString());
        }
        var byteIds = new int[256];
        for (int b = 0; b < 256; b++) byteIds[b] = ids[ByteLevel.ToChar((byte)b).ToString()];

        // Words as symbol-id arrays that shrink in place as merges apply.
        int wordCount = wordCounts.Count;
        var symbols = new int[wordCount][];
        var lengths = new int[wordCount];
        var freqs = new long[wordCount];
        int w = 0;
        foreach (var (word, count) in wordCounts)
        {
            var bytes = Encoding.UTF8.GetBytes(word);
            var s = new int[bytes.Length];
            for (int i = 0; i < bytes.Length; i++) s[i] = byteIds[bytes[i]];
            symbols[w] = s;
            lengths[w] = s.Length;
            freqs[w] = count;
            w++;
        }

        var merges = Learn(symbols, lengths, freqs, tokens, ids, vocabSize - specials.Count, minFrequency, static (left, right) => left + right);
        return (tokens, merges);
    }

    /// <summary>
    /// The merge loop shared by every BPE-style trainer: words are symbol-id arrays with counts; the most frequent
    /// adjacent pair is merged (ties by the pair's strings, ordinal) until <paramref name="targetTokens"/> tokens or
    /// no pair reaches <paramref name="minFrequency"/>. <paramref name="join"/> spells a merged token (WordPiece drops
    /// the right part's ## prefix). New tokens are appended to <paramref name="tokens"/>; the merges are returned.
    /// </summary>
    public static List<(string Left, string Right)> Learn(int[][] symbols, int[] lengths, long[] freqs, List<string> tokens,
        Dictionary<string, int> ids, int targetTokens, int minFrequency, Func<string, string, string> join)
    {
        int wordCount = symbols.Length;
        int w;
        var pairCounts = new Dictionary<long, long>();
        var where = new Dictionary<long, List<int>>();
        for (w = 0; w < wordCount; w++)
        {
            var s = symbols[w];
            for (int i = 0; i + 1 < lengths[w]; i++)
            {
                long key = Key(s[i], s[i + 1]);
                pairCounts[key] = pairCounts.GetValueOrDefault(key) + freqs[w];
                AddWhere(where, key, w);
            }
        }

        // Highest count first; ties by the pair's strings in ordinal order so training is reproducible anywhere.
        var queue = new PriorityQueue<long, (long Count, long Key)>(Comparer<(long Count, long Key)>.Create((x, y) =>
        {
            int c = y.Count.CompareTo(x.Count);
            if (c != 0) return c;
            c = string.CompareOrdinal(tokens[Left(x.Key)], tokens[Left(y.Key)]);
            return c != 0 ? c : string.CompareOrdinal(tokens[Right(x.Key)], tokens[Right(y.Key)]);
        }));
        foreach (var (key, count) in pairCounts) queue.Enqueue(key, (count, key));

        var merges = new List<(string, string)>();
        var created = new HashSet<long>();
        while (tokens.Count < targetTokens && queue.TryDequeue(out long top, out var queued))
        {
            long current = pairCounts.GetValueOrDefault(top);
            if (current != queued.Count)
            {
                // Counts of existing pairs only fall, so the queued count is an upper bound: re-queue at the truth.
                if (current > 0) queue.Enqueue(top, (current, top));
                continue;
            }
            if (current < minFrequency) break;

            int a = Left(top), b = Right(top);
            string merged = join(tokens[a], tokens[b]);
            // Two different pairs can spell the same string; like Hugging Face, record the merge but reuse the id.
            if (!ids.TryGetValue(merged, out int newId))
            {
                newId = tokens.Count;
                ids[merged] = newId;
                tokens.Add(merged);
            }
            merges.Add((tokens[a], tokens[b]));

            created.Clear();
            foreach (int word in where[top])
                MergeWord(word, a, b, newId, symbols, lengths, freqs, pairCounts, where, created);
            where.Remove(top);
            pairCounts.Remove(top);
            foreach (long key in created)
            {
                long count = pairCounts.GetValueOrDefault(key);
                if (count > 0) queue.Enqueue(key, (count, key));
            }
        }
        return merges;
    }

    private static Dictionary<string, int> CountWords(IEnumerable<string> documents, Regex? specials)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        var lookup = counts.GetAlternateLookup<ReadOnlySpan<char>>();
        var segments = new List<Tokenization.Segment>();
        foreach (var doc in documents)
        {
            int pos = 0;
            if (specials != null)
                foreach (var m in specials.EnumerateMatches(doc))
                {
                    CountSegment(doc.AsSpan(pos, m.Index - pos), lookup, segments);
                    pos = m.Index + m.Length;
                }
            CountSegment(doc.AsSpan(pos), lookup, segments);
        }
        return counts;
    }

    private static void CountSegment(ReadOnlySpan<char> text, Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> lookup, List<Tokenization.Segment> segments)
    {
        if (text.IsEmpty) return;
        segments.Clear();
        ByteLevel.Words.FindMatches(text, segments);
        // The pattern covers every character, but a gap would still be text that must be counted.
        foreach (var s in segments) Bump(lookup, text[s.Start..s.End]);
    }

    private static void Bump(Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> lookup, ReadOnlySpan<char> word)
    {
        lookup[word] = lookup.TryGetValue(word, out int c) ? c + 1 : 1;
    }

    // Removing all of a word's pairs and adding back those of the merged word is simpler than patching neighbours
    // (overlaps like "a a a" need no special case) and words are short, so it costs little.
    private static void MergeWord(int word, int a, int b, int newId, int[][] symbols, int[] lengths, long[] freqs,
        Dictionary<long, long> pairCounts, Dictionary<long, List<int>> where, HashSet<long> created)
    {
        var s = symbols[word];
        int len = lengths[word];
        bool found = false;
        for (int i = 0; i + 1 < len; i++)
            if (s[i] == a && s[i + 1] == b) { found = true; break; }
        if (!found) return; // a stale entry: an earlier merge already consumed this word's pair

        long f = freqs[word];
        for (int i = 0; i + 1 < len; i++)
        {
            long key = Key(s[i], s[i + 1]);
            pairCounts[key] -= f;
        }
        int write = 0;
        for (int read = 0; read < len;)
        {
            if (read + 1 < len && s[read] == a && s[read + 1] == b)
            {
                s[write++] = newId;
                read += 2;
            }
            else s[write++] = s[read++];
        }
        lengths[word] = len = write;
        for (int i = 0; i + 1 < len; i++)
        {
            long key = Key(s[i], s[i + 1]);
            pairCounts[key] = pairCounts.GetValueOrDefault(key) + f;
            if (s[i] == newId || s[i + 1] == newId)
            {
                AddWhere(where, key, word);
                created.Add(key);
            }
        }
    }

    private static void AddWhere(Dictionary<long, List<int>> where, long key, int word)
    {
        if (!where.TryGetValue(key, out var list)) where[key] = list = new List<int>();
        if (list.Count == 0 || list[^1] != word) list.Add(word);
    }

    private static long Key(int left, int right) => BpeMerging.Key(left, right);
    private static int Left(long key) => (int)(key >> 32);
    private static int Right(long key) => (int)key;
}
