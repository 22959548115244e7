using System.Runtime.CompilerServices;

namespace Sapling.Memory;

/// <summary>
/// Keeps released arrays keyed by their exact length. A training step asks for the same sizes every time, so exact
/// keys give perfect reuse without the waste of power-of-two buckets, and steady-state steps allocate nothing on the
/// large-object heap (whose collections are the gen2 pauses a training loop must avoid).
/// </summary>
public sealed class ArrayPoolByLength<T> where T : unmanaged
{
    private readonly Dictionary<int, Stack<T[]>> free = new();
    // When a length was last rented or returned: a full pool drops the lengths unused for longest, so workloads whose
    // shapes change (variable-length batches, a new phase of a run) do not leave the pool holding dead sizes.
    private readonly Dictionary<int, long> lastUse = new();
    private readonly object gate = new();
    private long pooledBytes;
    private long clock;

    public ArrayPoolByLength(long maxPooledBytes) => MaxPooledBytes = maxPooledBytes;

    /// <summary>Upper bound on memory held by released arrays; beyond it released arrays are left to the GC.</summary>
    public long MaxPooledBytes { get; set; }

    public long PooledBytes => Interlocked.Read(ref pooledBytes);

    /// <summary>Returns an array of exactly <paramref name="length"/> elements whose contents are undefined.</summary>
    public T[] Rent(int length)
    {
        if (length == 0) return Array.Empty<T>();
        lock (gate)
        {
            lastUse[length] = ++clock;
            if (free.TryGetValue(length, out var stack) && stack.Count > 0)
            {
                pooledBytes -= (long)length * Unsafe.SizeOf<T>();
                return stack.Pop();
            }
        }
        return GC.AllocateUninitializedArray<T>(length);
    }

    public void Return(T[] array)
    {
        if (array.Length == 0) return;
        long bytes = (long)array.Length * Unsafe.SizeOf<T>();
        lock (gate)
        {
            if (bytes > MaxPooledBytes) return;
            lastUse[array.Length] = ++clock;
            while (pooledBytes + bytes > MaxPooledBytes && EvictLeastRecentlyUsed(array.Length)) { }
            if (pooledBytes + bytes > MaxPooledBytes) return;
            if (!free.TryGetValue(array.Length, out var stack)) free[array.Length] = stack = new Stack<T[]>();
            stack.Push(array);
            pooledBytes += bytes;
        }
    }

    public void Clear()
    {
        lock (gate)
        {
            free.Clear();
            lastUse.Clear();
            pooledBytes = 0;
        }
    }

    /// <summary>Drops every pooled array of the length used longest ago (never <paramref name="keep"/>); false when none is left.</summary>
    private bool EvictLeastRecentlyUsed(int keep)
    {
        int victim = -1;
        long oldest = long.MaxValue;
        foreach (var (length, stack) in free)
            if (length != keep && stack.Count > 0 && lastUse.GetValueOrDefault(length) < oldest)
                (victim, oldest) = (length, lastUse.GetValueOrDefault(length));
        if (victim < 0) return false;
        pooledBytes -= (long)victim * Unsafe.SizeOf<T>() * free[victim].Count;
        free.Remove(victim);
        lastUse.Remove(victim);
        return true;
    }
}
