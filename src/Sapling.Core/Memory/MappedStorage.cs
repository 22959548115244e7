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

    public override DType DType => dtype;

    public override int Length => length;

    public override StorageKind Kind => StorageKind.Mapped;

    public override bool IsWritable => false;

    /// <summary>The file the elements are read from.</summary>
    public string FilePath => file.Path;

    internal void* Address { get; }

    public override MemoryHandle Pin() => new(Address);

    public override string Describe() => $"a read-only mapping of '{file.Path}'";

    protected override void ReturnToPool() => file.Release();
}
