using System.Buffers;

namespace Sapling.Memory;

/// <summary>
/// A storage with a dtype and a length but no data (PyTorch's meta device): a model built inside
/// <see cref="Tensor.Meta"/> costs no memory for its parameters, and a loader then points each parameter at its weights
/// with <see cref="Tensor.Set"/>. Any op that reads or writes the elements refuses.
/// </summary>
public sealed class MetaStorage(DType dtype, int length) : Storage
{
    /// <inheritdoc/>
    public override DType DType => dtype;

    /// <inheritdoc/>
    public override int Length => length;

    /// <inheritdoc/>
    public override StorageKind Kind => StorageKind.Meta;

    /// <inheritdoc/>
    public override MemoryHandle Pin() => throw new InvalidOperationException(
        "this tensor has no data: it was made inside Tensor.Meta() and its weights were never loaded");

    /// <inheritdoc/>
    public override string Describe() => "no memory (a meta tensor awaiting its weights)";

    /// <inheritdoc/>
    protected override void ReturnToPool()
    {
    }
}
