using System.Collections.Concurrent;

namespace Sapling.Data.Text;

/// <summary>
/// The ids of words already tokenized, shared by the threads that encode with one tokenizer. Enough for the distinct
/// words of a large corpus; past its capacity it is dropped and refilled rather than grown without bound.
/// </summary>
internal sealed class WordCache
{
    private const int Capacity = 200_000;

    private readonly int maxWordLength;
    private readonly ConcurrentDictionary<string, int[]> cache = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int[]>.AlternateLookup<ReadOnlySpan<char>> lookup;
    // ConcurrentDictionary.Count takes every lock (up to 1024 as the table grows), tens of microseconds per call, so
    // the size is tracked here; it may run slightly over under contention, which is harmless.
    private int count;

    /// <param name="maxWordLength">Longer words are not kept (a run of spaces or a base64 blob would only fill the cache).</param>
    public WordCache(int maxWordLength = int.MaxValue)
    {
        this.maxWordLength = maxWordLength;
        lookup = cache.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    public bool TryGet(ReadOnlySpan<char> word, out int[] ids) => lookup.TryGetValue(word, out ids!);

    /// <summary>Remembers the ids of a word no longer than the cache keeps.</summary>
    public void Add(ReadOnlySpan<char> word, int[] ids)
    {
        if (word.Length > maxWordLength) return;
        if (count >= Capacity)
        {
            cache.Clear();
            count = 0;
        }
        if (lookup.TryAdd(word, ids)) Interlocked.Increment(ref count);
    }
}
