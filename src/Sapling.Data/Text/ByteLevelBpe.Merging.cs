using System.Text;

namespace Sapling.Data.Text;

/// <summary>Applying the learned merges to one pre-tokenised word.</summary>
public sealed partial class ByteLevelBpe
{
    private int[] ApplyMerges(ReadOnlySpan<char> word)
    {
        int maxBytes = Encoding.UTF8.GetMaxByteCount(word.Length);
        Span<byte> bytes = maxBytes <= 512 ? stackalloc byte[maxBytes] : new byte[maxBytes];
        int len = Encoding.UTF8.GetBytes(word, bytes);
        var s = new int[len];
        for (int i = 0; i < len; i++) s[i] = byteIds[bytes[i]];
        return BpeMerging.Merge(s, mergeTable);
    }

    internal int[] MergeByScan(int[] s) => BpeMerging.MergeByScan(s, mergeTable);

    internal int[] MergeByHeap(int[] s) => BpeMerging.MergeByHeap(s, mergeTable);
}
