using System.Buffers;

namespace Sapling.Memory;

/// <summary>Elements read in place from a memory-mapped file (see <see cref="MappedFile.Storage"/>); read-only.</summary>
public sealed unsafe class MappedStorage : Storage
{
    private readonly MappedFile file;
    private readonly DType dtype;
    private readonly int length;

    internal MappedStorage(MappedFile file, void* address, DType dtype, int length)
    {
        (this.file, this.dtype, this.length) = (file, dtype, length);
        Address = address;
    }

    /// <inheritdoc/>
    public override DType DType => dtype;

    /// <inheritdoc/>
    public override int Length => length;

    /// <inheritdoc/>
    public override StorageKind Kind => StorageKind.Mapped;

    /// <inheritdoc/>
    public override bool IsWritable => false;

    /// <summary>The file the elements are read from.</summary>
    public string FilePath => file.Path;

    internal void* Address { get; }

    /// <inheritdoc/>
    public override MemoryHandle Pin() => new(Address);

    /// <inheritdoc/>
    public override string Describe() => $"a read-only mapping of '{file.Path}'";

    /// <inheritdoc/>
    protected override void ReturnToPool() => file.Release();
}
