namespace Sapling.Memory;

/// <summary>
/// The flat buffer behind one or more tensors. Views share a storage; the storage goes back to the pool only when
/// the last tensor using it is disposed. Tensors that are never disposed leave their storage to the GC.
/// </summary>
public abstract class Storage
{
    private int references = 1;

    public abstract DType DType { get; }

    public abstract int Length { get; }

    public abstract Array RawArray { get; }

    internal bool IsReleased => Volatile.Read(ref references) <= 0;

    /// <summary>True when exactly one live tensor uses this storage (no views share it).</summary>
    internal bool IsExclusive => Volatile.Read(ref references) == 1;

    internal void AddReference()
    {
        if (Interlocked.Increment(ref references) <= 1)
            throw new ObjectDisposedException("Storage", "a tensor's storage was used after every tensor over it was disposed");
    }

    internal void RemoveReference()
    {
        if (Interlocked.Decrement(ref references) == 0) ReturnToPool();
    }

    protected abstract void ReturnToPool();
}

public sealed class Storage<T> : Storage where T : unmanaged
{
    private readonly bool pooled;
    private readonly int length;

    /// <param name="length">Elements in use: a pooled array may be longer than asked for (its size class).</param>
    internal Storage(T[] array, int length, bool pooled)
    {
        if ((uint)length > (uint)array.Length) throw new ArgumentOutOfRangeException(nameof(length), $"storage of {length} elements over an array of {array.Length}");
        Array = array;
        this.length = length;
        this.pooled = pooled;
    }

    /// <summary>The backing array; it may hold more than <see cref="Length"/> elements, and kernels address only those.</summary>
    public T[] Array { get; }

    public override DType DType => StorageTypes.DTypeOf<T>();

    public override int Length => length;

    public override Array RawArray => Array;

    protected override void ReturnToPool()
    {
        if (pooled) TensorMemory.Pool<T>().Return(Array);
    }
}

internal static class StorageTypes
{
    public static DType DTypeOf<T>() where T : unmanaged
    {
        if (typeof(T) == typeof(float)) return DType.Float32;
        if (typeof(T) == typeof(double)) return DType.Float64;
        if (typeof(T) == typeof(ushort)) return DType.BFloat16;
        if (typeof(T) == typeof(sbyte)) return DType.Int8;
        if (typeof(T) == typeof(int)) return DType.Int32;
        if (typeof(T) == typeof(long)) return DType.Int64;
        if (typeof(T) == typeof(bool)) return DType.Bool;
        throw new NotSupportedException($"no tensor dtype for element type {typeof(T).Name}");
    }
}
