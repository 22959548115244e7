using System.Buffers;
using System.Runtime.InteropServices;

namespace Sapling.Memory;

/// <summary>
/// The flat buffer behind one or more tensors. Views share a storage; the storage is released (returned to the pool,
/// freed, or its file region unmapped) only when the last tensor using it is disposed. Tensors that are never
/// disposed leave their storage to the GC.
/// </summary>
/// <remarks>
/// Four kinds: <see cref="Storage{T}"/> (pooled managed arrays, what every op computes in), <see cref="NativeStorage"/>
/// (aligned native memory), <see cref="MappedStorage"/> (a read-only region of a memory-mapped file, so weights are
/// used where the file has them) and <see cref="MetaStorage"/> (shape without data, for building a model whose
/// weights are then loaded in place). Kernels reach every kind through <see cref="Pin"/>; the ops that only know
/// managed arrays refuse the others by name.
/// </remarks>
public abstract class Storage
{
    private int references = 1;

    /// <summary>The element type of the storage.</summary>
    public abstract DType DType { get; }

    /// <summary>Elements in use.</summary>
    public abstract int Length { get; }

    /// <summary>Where the elements live.</summary>
    public abstract StorageKind Kind { get; }

    /// <summary>False for a mapped file region, which is read-only.</summary>
    public virtual bool IsWritable => true;

    /// <summary>The managed array of a <see cref="StorageKind.Managed"/> storage.</summary>
    public virtual Array RawArray => throw new NotSupportedException($"{Describe()} has no managed array");

    /// <summary>
    /// The address of element 0, valid until the handle is disposed (managed arrays are pinned for that long). A
    /// storage without data refuses.
    /// </summary>
    public abstract MemoryHandle Pin();

    /// <summary>Words for messages: "managed memory", "native memory", "a read-only mapping of 'file'".</summary>
    public abstract string Describe();

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

    /// <summary>
    /// Releases the elements once the last tensor using this storage is disposed: a pooled array goes back to its pool,
    /// native memory is freed, a file mapping loses one hold.
    /// </summary>
    protected abstract void ReturnToPool();
}

/// <summary>Storage in a managed array (the compute storage: every op reads and writes these).</summary>
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

    /// <inheritdoc/>
    public override DType DType => StorageTypes.DTypeOf<T>();

    /// <inheritdoc/>
    public override int Length => length;

    /// <inheritdoc/>
    public override StorageKind Kind => StorageKind.Managed;

    /// <inheritdoc/>
    public override Array RawArray => Array;

    /// <inheritdoc/>
    public override unsafe MemoryHandle Pin()
    {
        var handle = GCHandle.Alloc(Array, GCHandleType.Pinned);
        return new MemoryHandle((void*)handle.AddrOfPinnedObject(), handle);
    }

    /// <inheritdoc/>
    public override string Describe() => "managed memory";

    /// <inheritdoc/>
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
        if (typeof(T) == typeof(Half)) return DType.Float16;
        if (typeof(T) == typeof(sbyte)) return DType.Int8;
        if (typeof(T) == typeof(int)) return DType.Int32;
        if (typeof(T) == typeof(long)) return DType.Int64;
        if (typeof(T) == typeof(bool)) return DType.Bool;
        throw new NotSupportedException($"no tensor dtype for element type {typeof(T).Name}");
    }
}
