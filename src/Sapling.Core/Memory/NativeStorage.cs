using System.Buffers;
using System.Runtime.InteropServices;

namespace Sapling.Memory;

/// <summary>
/// Elements in native memory aligned to 64 bytes (one cache line, one AVX-512 register): weights read from a file
/// without mapping it (llama.cpp's --no-mmap), kept off the GC heap. Freed when the last tensor over it is disposed,
/// or by the finaliser when tensors are left to the GC.
/// </summary>
public sealed unsafe class NativeStorage : Storage
{
    private void* data;
    private readonly int length;
    private readonly DType dtype;

    /// <summary>
    /// Allocates 64-byte aligned native memory for <paramref name="length"/> elements of <paramref name="dtype"/>
    /// (a whole number of blocks for the block-quantised dtypes); the contents are undefined.
    /// </summary>
    public NativeStorage(DType dtype, int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        this.dtype = dtype;
        this.length = length;
        nuint bytes = (nuint)Math.Max(1L, dtype.StorageBytes(length));
        data = NativeMemory.AlignedAlloc(bytes, 64);
        GC.AddMemoryPressure((long)bytes);
    }

    /// <summary>Frees the memory of a storage whose tensors were left to the GC instead of being disposed.</summary>
    ~NativeStorage() => Free();

    /// <inheritdoc/>
    public override DType DType => dtype;

    /// <inheritdoc/>
    public override int Length => length;

    /// <inheritdoc/>
    public override StorageKind Kind => StorageKind.Native;

    /// <summary>The elements as bytes, for filling the storage (e.g. reading a file into it).</summary>
    public Span<byte> Bytes => new(Address, checked((int)dtype.StorageBytes(length)));

    internal void* Address => data != null ? data : throw new ObjectDisposedException("NativeStorage", "native tensor memory was used after it was freed");

    /// <inheritdoc/>
    public override MemoryHandle Pin() => new(Address);

    /// <inheritdoc/>
    public override string Describe() => "native memory";

    /// <inheritdoc/>
    protected override void ReturnToPool()
    {
        Free();
        GC.SuppressFinalize(this);
    }

    private void Free()
    {
        if (data == null) return;
        NativeMemory.AlignedFree(data);
        data = null;
        GC.RemoveMemoryPressure(Math.Max(1L, dtype.StorageBytes(length)));
    }
}
