using System.Numerics;
using System.Runtime.CompilerServices;

namespace Sapling.Memory;

/// <summary>
/// Keeps released arrays in size classes (eight per power of two), so a request is served by any pooled array of its
/// class or the next one up. A training step asks for the same sizes every time and gets them back exactly; a
/// generation or a server, whose sizes drift by a few elements from call to call (a prompt one token longer, a batch
/// one sequence larger), reuses the arrays of neighbouring sizes instead of keeping one set per exact length.
/// New arrays are allocated at the exact requested length, so long-lived tensors (parameters) waste nothing, unless the
/// class already holds arrays too short for the request (sizes growing step by step): then those are dropped and the
/// new array gets the class's largest size. A reused array is at most two classes (about 25%) longer than asked. Steady-state steps allocate nothing on the
/// large-object heap, whose collections are the gen2 pauses a loop must avoid.
/// </summary>
public sealed class ArrayPoolBySizeClass<T> where T : unmanaged
{
    private const int ClassesPerOctave = 8;
    private const int ExactUpTo = 16;

    private readonly Dictionary<int, List<T[]>> free = new();
    // When a class was last rented or returned: a full pool drops the classes unused for longest, so workloads whose
    // shapes change (a new phase of a run) do not leave the pool holding dead sizes.
    private readonly Dictionary<int, long> lastUse = new();
    private readonly object gate = new();
    private long pooledBytes;
    private long clock;

    /// <summary>Creates an empty pool keeping at most <paramref name="maxPooledBytes"/> bytes of arrays.</summary>
    public ArrayPoolBySizeClass(long maxPooledBytes) => MaxPooledBytes = maxPooledBytes;

    /// <summary>Upper bound on memory held by released arrays; beyond it the arrays used longest ago are left to the GC.</summary>
    public long MaxPooledBytes { get; set; }

    /// <summary>Bytes currently held by released arrays waiting to be reused.</summary>
    public long PooledBytes => Interlocked.Read(ref pooledBytes);

    /// <summary>
    /// The largest length of <paramref name="length"/>'s size class: exact up to 16, then eight classes per power of
    /// two (2^e + m·2^(e−3) for m = 1 .. 8).
    /// </summary>
    public static int SizeClass(int length)
    {
        if (length <= ExactUpTo) return length;
        int e = BitOperations.Log2((uint)(length - 1));
        long low = 1L << e, step = low / ClassesPerOctave;
        long upper = low + (length - low + step - 1) / step * step;
        return (int)Math.Min(upper, Array.MaxLength);
    }

    /// <summary>Returns an array of at least <paramref name="length"/> elements whose contents are undefined.</summary>
    public T[] Rent(int length)
    {
        if (length == 0) return Array.Empty<T>();
        int own = SizeClass(length);
        int allocate = length;
        lock (gate)
        {
            if (TakeFrom(own, length) is { } same) return same;
            if (own < Array.MaxLength && TakeFrom(SizeClass(own + 1), length) is { } larger) return larger;
            lastUse[own] = ++clock;
            // The class holds only arrays too short for this request: sizes in it are growing (a sequence one
            // position longer each step). Drop those and allocate the class's largest size, so the next requests of
            // the class reuse one array instead of leaving one array per length behind.
            if (free.TryGetValue(own, out var shorter) && shorter.Count > 0)
            {
                foreach (var array in shorter) pooledBytes -= (long)array.Length * Unsafe.SizeOf<T>();
                shorter.Clear();
                allocate = own;
            }
        }
        return GC.AllocateUninitializedArray<T>(allocate);
    }

    /// <summary>
    /// Gives an array back for reuse. It is dropped (left to the GC) when it alone exceeds
    /// <see cref="MaxPooledBytes"/>, or when evicting the least recently used classes cannot make room for it.
    /// </summary>
    public void Return(T[] array)
    {
        if (array.Length == 0) return;
        long bytes = (long)array.Length * Unsafe.SizeOf<T>();
        int key = SizeClass(array.Length);
        lock (gate)
        {
            if (bytes > MaxPooledBytes) return;
            lastUse[key] = ++clock;
            while (pooledBytes + bytes > MaxPooledBytes && EvictLeastRecentlyUsed(key)) { }
            if (pooledBytes + bytes > MaxPooledBytes) return;
            if (!free.TryGetValue(key, out var list)) free[key] = list = new List<T[]>();
            list.Add(array);
            pooledBytes += bytes;
        }
    }

    /// <summary>Drops every pooled array, leaving them to the GC.</summary>
    public void Clear()
    {
        lock (gate)
        {
            free.Clear();
            lastUse.Clear();
            pooledBytes = 0;
        }
    }

    /// <summary>
    /// The shortest array of class <paramref name="key"/> that holds <paramref name="length"/> elements (the most
    /// recently returned among equals). Best fit, so that a short request never takes the array a longer request of
    /// the same step needs, which would make that one allocate every step.
    /// </summary>
    private T[]? TakeFrom(int key, int length)
    {
        if (!free.TryGetValue(key, out var list)) return null;
        int best = -1;
        for (int i = list.Count - 1; i >= 0; i--)
        {
            int l = list[i].Length;
            if (l >= length && (best < 0 || l < list[best].Length)) best = i;
            if (l == length) break;
        }
        if (best < 0) return null;
        var array = list[best];
        list.RemoveAt(best);
        pooledBytes -= (long)array.Length * Unsafe.SizeOf<T>();
        lastUse[key] = ++clock;
        return array;
    }

    /// <summary>Drops every pooled array of the class used longest ago (never <paramref name="keep"/>); false when none is left.</summary>
    private bool EvictLeastRecentlyUsed(int keep)
    {
        int victim = -1;
        long oldest = long.MaxValue;
        foreach (var (key, list) in free)
            if (key != keep && list.Count > 0 && lastUse.GetValueOrDefault(key) < oldest)
                (victim, oldest) = (key, lastUse.GetValueOrDefault(key));
        if (victim < 0) return false;
        foreach (var array in free[victim]) pooledBytes -= (long)array.Length * Unsafe.SizeOf<T>();
        free.Remove(victim);
        lastUse.Remove(victim);
        return true;
    }
}
