
namespace Sapling.Memory;

/// <summary>Where a storage's elements live.</summary>
public enum StorageKind
{
    /// <summary>A managed array, usually rented from <see cref="TensorMemory"/>'s pools.</summary>
    Managed,
    /// <summary>Native memory aligned to 64 bytes, outside the GC heap.</summary>
    Native,
    /// <summary>A read-only region of a memory-mapped file.</summary>
    Mapped,
    /// <summary>No data at all: a shape to be filled by loading (PyTorch's meta device).</summary>
    Meta,
}
