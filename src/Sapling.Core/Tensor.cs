using Sapling.Autograd;
using Sapling.Memory;

namespace Sapling;

/// <summary>
/// An n-dimensional array over a shared storage, described by shape, strides and offset, so views (reshape,
/// transpose, narrow, expand) cost no copy. Tensors that require grad record how they were made, and
/// <see cref="Backward(Tensor?, bool)"/> walks that record in reverse.
/// </summary>
public sealed partial class Tensor : IDisposable
{
    // Storage, strides and offset change only through Set (a loader pointing a parameter at its weights).
    internal Storage storage;
    internal readonly int[] shape;
    internal int[] strides;
    internal int offset;
    private bool disposed;
    private bool requiresGrad;

    internal Tensor(Storage storage, int[] shape, int[] strides, int offset, bool sharesStorage = false)
    {
        if (sharesStorage) storage.AddReference();
        this.storage = storage;
        this.shape = shape;
        this.strides = strides;
        this.offset = offset;
        TensorScope.Track(this);
    }

    /// <summary>A new contiguous tensor whose contents are undefined; kernels that write every element start here.</summary>
    internal static Tensor Uninitialized(DType dtype, int[] shape) => Allocate(dtype, shape, zero: false);

    internal static Tensor Allocate(DType dtype, int[] shape, bool zero)
    {
        int n = ShapeUtil.Numel(shape);
        Storage s = metaDepth > 0 ? new MetaStorage(dtype, n) : dtype switch
        {
            DType.Float32 => TensorMemory.Allocate<float>(n, zero),
            DType.Float64 => TensorMemory.Allocate<double>(n, zero),
            DType.Int64 => TensorMemory.Allocate<long>(n, zero),
            DType.Int32 => TensorMemory.Allocate<int>(n, zero),
            DType.Bool => TensorMemory.Allocate<bool>(n, zero),
            DType.BFloat16 => TensorMemory.Allocate<ushort>(n, zero),
            DType.Float16 => TensorMemory.Allocate<Half>(n, zero),
            DType.Int8 => TensorMemory.Allocate<sbyte>(n, zero),
            _ => throw new NotSupportedException($"dtype {dtype.Name()} has no storage"),
        };
        return new Tensor(s, shape, ShapeUtil.ContiguousStrides(shape), 0);
    }

    /// <summary>The element type (that of the storage).</summary>
    public DType DType => storage.DType;

    /// <summary>The sizes of each dimension (read-only; PyTorch's <c>tensor.shape</c>).</summary>
    public IReadOnlyList<int> Shape => shape;

    /// <summary>
    /// Storage elements to step per index step in each dimension; 0 in a broadcast (expanded) dimension.
    /// </summary>
    public IReadOnlyList<int> Strides => strides;

    /// <summary>Position of this tensor's first element in its storage (non-zero for many views).</summary>
    public int Offset => offset;

    /// <summary>Number of dimensions; 0 for a scalar.</summary>
    public int Rank => shape.Length;

    /// <summary>Number of elements, the product of the shape (1 for a scalar).</summary>
    public int NumEl => ShapeUtil.Numel(shape);

    /// <summary>Size of one dimension; negative dimensions count from the end.</summary>
    public int Size(int dim) => shape[ShapeUtil.NormalizeDim("size", dim, shape.Length)];

    /// <summary>
    /// Whether the elements lie in row-major order without gaps, so they can be read as one span (size-1
    /// dimensions may have any stride).
    /// </summary>
    public bool IsContiguous
    {
        get
        {
            if (NumEl == 0) return true;
            int expected = 1;
            for (int i = shape.Length - 1; i >= 0; i--)
            {
                if (shape[i] != 1 && strides[i] != expected) return false;
                expected *= shape[i];
            }
            return true;
        }
    }

    /// <summary>Whether gradients flow into this tensor. Only floating-point tensors can require grad.</summary>
    public bool RequiresGrad
    {
        get => requiresGrad;
        set
        {
            if (value && !DType.IsComputeType())
                throw new InvalidOperationException($"only float32 and float64 tensors can require gradients, this one is {DType.Name()}");
            if (!value && GradFn != null)
                throw new InvalidOperationException("RequiresGrad can only be cleared on leaf tensors; use Detach() for a tensor computed from others");
            requiresGrad = value;
        }
    }

    private Tensor? grad;

    /// <summary>
    /// Accumulated gradient after <see cref="Backward(Tensor?, bool)"/>; null until then. The tensor owns its gradient:
    /// replacing it (e.g. with null, as PyTorch's <c>zero_grad(set_to_none=True)</c>) returns the old buffer to the pool.
    /// </summary>
    public Tensor? Grad
    {
        get => grad;
        set
        {
            if (ReferenceEquals(value, grad)) return;
            grad?.Dispose();
            grad = value;
        }
    }

    /// <summary>How this tensor was computed, when autograd recorded it; null for leaves.</summary>
    public GradFn? GradFn { get; internal set; }

    /// <summary>
    /// True when no recorded op made this tensor: user-created tensors, parameters, results computed without grad.
    /// </summary>
    public bool IsLeaf => GradFn == null;

    /// <summary>Whether <see cref="Dispose"/> has been called on this tensor.</summary>
    public bool IsDisposed => disposed;

    /// <summary>Marks the tensor as outliving the enclosing <see cref="TensorScope"/> (parameters, results to keep).</summary>
    public Tensor KeepAlive()
    {
        TensorScope.Untrack(this);
        return this;
    }

    /// <summary>
    /// Gives up this tensor's hold on its storage; the storage is released when the last tensor over it is disposed.
    /// Calling it again does nothing.
    /// </summary>
    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        storage.RemoveReference();
    }

    internal void ThrowIfDisposed()
    {
        if (disposed || storage.IsReleased)
            throw new ObjectDisposedException("Tensor", $"a tensor of shape {ShapeUtil.Format(shape)} was used after it was disposed (by its TensorScope?); call KeepAlive() on tensors that must outlive the scope");
    }

    internal float[] FloatArray => ArrayOf<float>();

    internal T[] ArrayOf<T>() where T : unmanaged
    {
        ThrowIfDisposed();
        if (storage is Storage<T> s) return s.Array;
        if (storage.DType == StorageTypes.DTypeOf<T>()) throw NotInManagedMemory();
        throw new InvalidOperationException($"expected a {StorageTypes.DTypeOf<T>().Name()} tensor, got {DType.Name()}");
    }

    /// <summary>The elements of a contiguous float32 tensor, in place (writes change the tensor).</summary>
    public Span<float> AsSpan() => AsSpan<float>();

    /// <summary>The elements of a contiguous tensor in managed or native memory, in place (writes change the tensor).</summary>
    public unsafe Span<T> AsSpan<T>() where T : unmanaged
    {
        if (!IsContiguous) throw new InvalidOperationException($"AsSpan needs a contiguous tensor (shape {ShapeUtil.Format(shape)}, strides {ShapeUtil.Format(strides)}); call Contiguous() first");
        if (storage is NativeStorage native)
        {
            ThrowIfDisposed();
            CheckElementType<T>();
            return new Span<T>((T*)native.Address + offset, NumEl);
        }
        return ArrayOf<T>().AsSpan(offset, NumEl);
    }

    /// <summary>A fresh copy of the elements in row-major order.</summary>
    public float[] ToArray() => ToArray<float>();

    /// <summary>
    /// A fresh copy of the elements in row-major order; <typeparamref name="T"/> must be the dtype's element type
    /// (e.g. <c>long</c> for int64), nothing is converted.
    /// </summary>
    public T[] ToArray<T>() where T : unmanaged
    {
        if (storage.Kind != StorageKind.Managed)
        {
            using var copy = ContiguousCopy();
            return copy.ToArray<T>();
        }
        var result = new T[NumEl];
        Backends.Backend.Current.CopyStrided(shape, ArrayOf<T>(), offset, strides, result, 0, ShapeUtil.ContiguousStrides(shape));
        return result;
    }

    /// <summary>The value of a one-element tensor as a float (a float64 value is rounded; <see cref="ItemAsDouble"/> keeps it).</summary>
    public float Item()
    {
        if (NumEl != 1) throw new InvalidOperationException($"Item() needs a tensor with one element, this one has shape {ShapeUtil.Format(shape)}");
        return DType switch
        {
            DType.Float32 => FloatArray[offset],
            DType.Float64 => (float)ArrayOf<double>()[offset],
            DType.Int64 => ArrayOf<long>()[offset],
            DType.Int32 => ArrayOf<int>()[offset],
            DType.Bool => ArrayOf<bool>()[offset] ? 1f : 0f,
            DType.BFloat16 => BFloat16.ToSingle(ArrayOf<ushort>()[offset]),
            DType.Float16 => (float)ArrayOf<Half>()[offset],
            DType.Int8 => ArrayOf<sbyte>()[offset],
            _ => throw new NotSupportedException(DType.Name()),
        };
    }

    /// <summary>The value of a one-element tensor as a double (exact for every dtype).</summary>
    public double ItemAsDouble()
    {
        if (NumEl != 1) throw new InvalidOperationException($"ItemAsDouble() needs a tensor with one element, this one has shape {ShapeUtil.Format(shape)}");
        return DType switch
        {
            DType.Float64 => ArrayOf<double>()[offset],
            DType.Int64 => ArrayOf<long>()[offset],
            DType.Int32 => ArrayOf<int>()[offset],
            _ => Item(),
        };
    }

    /// <summary>Element access by full index (slow; for inspection and tests).</summary>
    [System.Runtime.CompilerServices.IndexerName("At")]
    public float this[params int[] index]
    {
        get
        {
            int at = ElementOffset(index);
            using var scalar = new Tensor(storage, [], [], at, sharesStorage: true);
            TensorScope.Untrack(scalar);
            return scalar.Item();
        }
    }

    internal int ElementOffset(ReadOnlySpan<int> index)
    {
        if (index.Length != shape.Length)
            throw new ArgumentException($"index has {index.Length} coordinates but the tensor has rank {shape.Length} (shape {ShapeUtil.Format(shape)})");
        int at = offset;
        for (int d = 0; d < index.Length; d++)
        {
            int i = index[d] < 0 ? index[d] + shape[d] : index[d];
            if (i < 0 || i >= shape[d])
                throw new IndexOutOfRangeException($"index {index[d]} is out of range for dimension {d} of size {shape[d]}");
            at += i * strides[d];
        }
        return at;
    }
}
