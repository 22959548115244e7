namespace Sapling.Memory;

/// <summary>Process-wide pools that tensor storages are rented from, one per element type.</summary>
public static class TensorMemory
{
    /// <summary>The default retention bound of each pool: 4 GiB, and never more than a sixth of the memory this process may use.</summary>
    public static readonly long DefaultMaxPooledBytes = Math.Min(4L << 30, GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 6);

    private static class PoolOf<T> where T : unmanaged
    {
        public static readonly ArrayPoolBySizeClass<T> Instance = new(DefaultMaxPooledBytes);
    }

    public static ArrayPoolBySizeClass<T> Pool<T>() where T : unmanaged => PoolOf<T>.Instance;

    /// <summary>
    /// Sets the retention bound of every element type's pool: released buffers beyond it are left to the GC (those
    /// used longest ago first). A server lowers it so that a burst of unusual request sizes is not kept afterwards.
    /// </summary>
    public static void SetMaxPooledBytes(long bytes)
    {
        if (bytes < 0) throw new ArgumentOutOfRangeException(nameof(bytes), $"the pool's retention bound must be 0 or more bytes, got {bytes}");
        Pool<float>().MaxPooledBytes = bytes;
        Pool<double>().MaxPooledBytes = bytes;
        Pool<int>().MaxPooledBytes = bytes;
        Pool<long>().MaxPooledBytes = bytes;
        Pool<bool>().MaxPooledBytes = bytes;
        Pool<ushort>().MaxPooledBytes = bytes;
        Pool<sbyte>().MaxPooledBytes = bytes;
    }

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
    }
}
