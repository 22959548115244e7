namespace Sapling.Memory;

/// <summary>Process-wide pools that tensor storages are rented from, one per element type.</summary>
public static class TensorMemory
{
    // At most 4 GiB per element type, and never more than a sixth of the memory this process may use; each pool's
    // MaxPooledBytes changes it.
    private static readonly long DefaultMaxPooledBytes = Math.Min(4L << 30, GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 6);

    private static class PoolOf<T> where T : unmanaged
    {
        public static readonly ArrayPoolBySizeClass<T> Instance = new(DefaultMaxPooledBytes);
    }

    /// <summary>
    /// The process-wide pool for element type <typeparamref name="T"/>; by default it keeps at most 4 GiB, and at most
    /// a sixth of the memory available to the process.
    /// </summary>
    public static ArrayPoolBySizeClass<T> Pool<T>() where T : unmanaged => PoolOf<T>.Instance;

    /// <summary>Allocates storage for <paramref name="length"/> elements; zeroed only when asked, since most kernels overwrite every element.</summary>
    public static Storage<T> Allocate<T>(int length, bool zero) where T : unmanaged
    {
        var array = Pool<T>().Rent(length);
        if (zero) System.Array.Clear(array, 0, length);
        return new Storage<T>(array, length, pooled: true);
    }

    /// <summary>Wraps a caller's array without copying; it is never returned to the pool.</summary>
    public static Storage<T> Wrap<T>(T[] array) where T : unmanaged => new(array, array.Length, pooled: false);

    /// <summary>Drops every pooled buffer (e.g. between unrelated workloads).</summary>
    public static void TrimPools()
    {
        Pool<float>().Clear();
        Pool<double>().Clear();
        Pool<int>().Clear();
        Pool<long>().Clear();
        Pool<bool>().Clear();
        Pool<ushort>().Clear();
        Pool<sbyte>().Clear();
        Pool<Half>().Clear();
    }
}
