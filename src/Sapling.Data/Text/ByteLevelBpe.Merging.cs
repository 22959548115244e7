using System.Text;

namespace Sapling.Text;

/// <summary>Applying the learned merges to one pre-tokenised word.</summary>
public sealed partial class ByteLevelBpe
{
    // Above this many bytes the quadratic rescan loses to the heap; ordinary words are far shorter.
    private const int HeapThreshold = 48;

    private int[] ApplyMerges(ReadOnlySpan<char> word)
    {
        int maxBytes = Encoding.UTF8.GetMaxByteCount(word.Length);
        Span<byte> bytes = maxBytes <= 512 ? stackalloc byte[maxBytes] : new byte[maxBytes];
        int len = Encoding.UTF8.GetBytes(word, bytes);
        var s = new int[len];
        for (int i = 0; i < len; i++) s[i] = byteIds[bytes[i]];
        return len > HeapThreshold ? MergeByHeap(s) : MergeByScan(s);
    }

    /// <summary>
    /// GPT-2's bpe(): merge every occurrence (left to right) of the lowest-ranked adjacent pair, then look again.
    /// Quadratic in the word's length, but for short words rescanning beats any bookkeeping.
    /// </summary>
    internal int[] MergeByScan(int[] s)
    {
        int len = s.Length;
        while (len > 1)
        {
            int bestRank = int.MaxValue, bestAt = -1, bestId = 0;
            for (int i = 0; i + 1 < len; i++)
                if (mergeTable.TryGetValue(BpeTrainer.Key(s[i], s[i + 1]), out var m) && m.Rank < bestRank)
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
    internal int[] MergeByHeap(int[] s)
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
            if (right >= 0 && mergeTable.TryGetValue(BpeTrainer.Key(s[pos], s[right]), out var m))
                heap.Enqueue((pos, s[pos], s[right]), (m.Rank, pos));
        }
        for (int i = 0; i + 1 < n; i++) Offer(i);

        int alive = n;
        while (heap.TryDequeue(out var c, out _))
        {
            int right = next[c.Pos];
            if (s[c.Pos] != c.Left || right < 0 || s[right] != c.Right) continue; // a neighbour merged first
            s[c.Pos] = mergeTable[BpeTrainer.Key(c.Left, c.Right)].Id;
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
