namespace Sapling.Data.Text;

/// <summary>
/// Applying learned BPE merges to one word's symbols: the lowest-ranked adjacent pair is merged first, the leftmost
/// occurrence first among equal ranks, until no pair of the table is left. Both GPT-2's <c>bpe()</c> and Hugging
/// Face's BPE model give this result; ByteLevelBpe and the tokenizer.json pipeline's BPE model share it.
/// </summary>
internal static class BpeMerging
{
    // Above this many symbols the quadratic rescan loses to the heap; ordinary words are far shorter.
    private const int HeapThreshold = 48;

    /// <summary>The merged symbols; <paramref name="s"/> is used as scratch and may be returned.</summary>
    public static int[] Merge(int[] s, Dictionary<long, (int Rank, int Id)> table) => s.Length > HeapThreshold ? MergeByHeap(s, table) : MergeByScan(s, table);

    public static long Key(int left, int right) => ((long)left << 32) | (uint)right;

    /// <summary>Merge every occurrence (left to right) of the lowest-ranked pair, then look again: quadratic, but for short words rescanning beats any bookkeeping.</summary>
    public static int[] MergeByScan(int[] s, Dictionary<long, (int Rank, int Id)> table)
    {
        int len = s.Length;
        while (len > 1)
        {
            int bestRank = int.MaxValue, bestAt = -1, bestId = 0;
            for (int i = 0; i + 1 < len; i++)
                if (table.TryGetValue(Key(s[i], s[i + 1]), out var m) && m.Rank < bestRank)
                    (bestRank, bestAt, bestId) = (m.Rank, i, m.Id);
            if (bestAt < 0) break;
            int a = s[bestAt], b = s[bestAt + 1];
            int write = bestAt;
            for (int read = bestAt; read < len;)
            {
                if (read + 1 < len && s[read] == a && s[read + 1] == b)
                {
                    s[write++] = bestId;
                    read += 2;
                }
                else s[write++] = s[read++];
            }
            len = write;
        }
        return len == s.Length ? s : s[..len];
    }

    /// <summary>
    /// The same result in O(n log n) for long words (a run of 100k spaces, a base64 blob): a linked list of symbols
    /// and a heap of candidate merges ordered by (rank, position), so the leftmost occurrence of the best pair goes
    /// first, as in the scan. Entries made stale by a neighbouring merge are recognised and dropped when popped.
    /// </summary>
    public static int[] MergeByHeap(int[] s, Dictionary<long, (int Rank, int Id)> table)
    {
        int n = s.Length;
        var next = new int[n];
        var prev = new int[n];
        for (int i = 0; i < n; i++)
        {
            next[i] = i + 1 < n ? i + 1 : -1;
            prev[i] = i - 1;
        }
        var heap = new PriorityQueue<(int Pos, int Left, int Right), (int Rank, int Pos)>(n);
        void Offer(int pos)
        {
            int right = next[pos];
            if (right >= 0 && table.TryGetValue(Key(s[pos], s[right]), out var m))
                heap.Enqueue((pos, s[pos], s[right]), (m.Rank, pos));
        }
        for (int i = 0; i + 1 < n; i++) Offer(i);

        int alive = n;
        while (heap.TryDequeue(out var c, out _))
        {
            int right = next[c.Pos];
            if (s[c.Pos] != c.Left || right < 0 || s[right] != c.Right) continue; // a neighbour merged first
            s[c.Pos] = table[Key(c.Left, c.Right)].Id;
            s[right] = -1;
            next[c.Pos] = next[right];
            if (next[right] >= 0) prev[next[right]] = c.Pos;
            alive--;
            if (prev[c.Pos] >= 0) Offer(prev[c.Pos]);
            Offer(c.Pos);
        }

        var result = new int[alive];
        for (int i = 0, w = 0; i >= 0 && w < alive; i = next[i]) result[w++] = s[i];
        return result;
    }
}
