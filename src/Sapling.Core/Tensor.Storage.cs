using Sapling.Memory;

namespace Sapling;

public sealed partial class Tensor
{
    [ThreadStatic] private static int metaDepth;

    /// <summary>Where this tensor's elements live (managed, native, a mapped file, or nowhere yet).</summary>
    public StorageKind StorageKind => storage.Kind;

    /// <summary>The storage under this tensor (shared by its views).</summary>
    public Storage Storage => storage;

    /// <summary>True for a tensor without data (made inside <see cref="Meta"/>).</summary>
    public bool IsMeta => storage.Kind == StorageKind.Meta;

    /// <summary>
    /// Until the returned scope is disposed, new tensors on this thread get no memory (PyTorch's
    /// <c>torch.device("meta")</c>): building a model inside it costs nothing, initialisers skip its parameters, and
    /// a loader then points each parameter at its weights with <see cref="Set"/>. Any other use of such a tensor refuses.
    /// </summary>
    public static IDisposable Meta()
    {
        metaDepth++;
        return new MetaScope();
    }

    private sealed class MetaScope : IDisposable
    {
        private bool done;

        public void Dispose()
        {
            if (done) return;
            done = true;
            metaDepth--;
        }
    }

    /// <summary>
    /// A tensor of <paramref name="dtype"/> and <paramref name="shape"/> without data (as <see cref="Meta"/> makes them):
    /// stands where a module must name a tensor whose values live elsewhere, e.g. an int8 layer's packed weight.
    /// </summary>
    public static Tensor Placeholder(DType dtype, params int[] shape)
    {
        var s = CheckShape("placeholder", shape);
        return new Tensor(new MetaStorage(dtype, ShapeUtil.Numel(s)), s, ShapeUtil.ContiguousStrides(s), 0);
    }

    /// <summary>
    /// A tensor of <paramref name="shape"/> over the first elements of <paramref name="storage"/> (contiguous), e.g. a
    /// weight in a <see cref="MappedStorage"/> or a <see cref="NativeStorage"/>. The tensor takes over the caller's
    /// reference: disposing it releases the storage.
    /// </summary>
    public static Tensor FromStorage(Storage storage, params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(storage);
        var s = CheckShape("from_storage", (int[])shape.Clone());
        if (ShapeUtil.Numel(s) > storage.Length)
            throw new ArgumentException($"from_storage: shape {ShapeUtil.Format(s)} needs {ShapeUtil.Numel(s)} elements, the storage holds {storage.Length}");
        return new Tensor(storage, s, ShapeUtil.ContiguousStrides(s), 0);
    }

    /// <summary>
    /// Makes this tensor use <paramref name="source"/>'s elements, dtype and layout (PyTorch's <c>set_</c>), keeping its
    /// identity: a module's parameter becomes the weight a loader mapped or read, and every reference to the parameter
    /// sees it. Shapes must match; a tensor that requires grad can only take a float32 or float64 source.
    /// </summary>
    public Tensor Set(Tensor source)
    {
        ArgumentNullException.ThrowIfNull(source);
        ThrowIfDisposed();
        source.ThrowIfDisposed();
        if (!ShapeUtil.SameShape(shape, source.shape))
            throw new ArgumentException($"set: source shape {ShapeUtil.Format(source.shape)} differs from {ShapeUtil.Format(shape)}");
        if (requiresGrad && !source.DType.IsComputeType())
            throw new InvalidOperationException($"set: a tensor that requires grad cannot hold {source.DType.Name()} elements; clear RequiresGrad first (frozen weights) or convert the source to float32");
        if (GradFn != null) throw new InvalidOperationException("set: only leaf tensors can change their storage");
        if (ReferenceEquals(source.storage, storage) && source.offset == offset && ShapeUtil.SameShape(source.strides, strides)) return this;
        source.storage.AddReference();
        var old = storage;
        storage = source.storage;
        strides = (int[])source.strides.Clone();
        offset = source.offset;
        old.RemoveReference();
        return this;
    }

    /// <summary>The elements of a contiguous tensor in any storage with data, read-only.</summary>
    public unsafe ReadOnlySpan<T> AsReadOnlySpan<T>() where T : unmanaged
    {
        ThrowIfDisposed();
        if (!IsContiguous) throw new InvalidOperationException($"AsReadOnlySpan needs a contiguous tensor (shape {ShapeUtil.Format(shape)}, strides {ShapeUtil.Format(strides)}); call Contiguous() first");
        if (storage is Storage<T> managed) return managed.Array.AsSpan(offset, NumEl);
        CheckElementType<T>();
        return storage switch
        {
            NativeStorage native => new ReadOnlySpan<T>((T*)native.Address + offset, NumEl),
            MappedStorage mapped => new ReadOnlySpan<T>((T*)mapped.Address + offset, NumEl),
            _ => throw NotInManagedMemory(),
        };
    }

    private void CheckElementType<T>() where T : unmanaged
    {
        if (storage.DType != StorageTypes.DTypeOf<T>())
            throw new InvalidOperationException($"expected a {StorageTypes.DTypeOf<T>().Name()} tensor, got {DType.Name()}");
    }

    private Exception NotInManagedMemory() => storage.Kind == StorageKind.Meta
        ? new InvalidOperationException($"a {DType.Name()} tensor of shape {ShapeUtil.Format(shape)} has no data: it was made inside Tensor.Meta() and its weights were never loaded")
        : new NotSupportedException($"this op computes in managed memory, and this {DType.Name()} tensor of shape {ShapeUtil.Format(shape)} lives in {storage.Describe()}; "
            + "matmul, linear and embedding read it in place, for anything else copy it first (Clone(), or To(DType.Float32))");

    /// <summary>
    /// Copies a view of unmanaged storage (native or mapped) into <paramref name="dst"/>: the storage range the view
    /// covers goes into a managed buffer, then the ordinary strided copy runs from there.
    /// </summary>
    private static unsafe void CopyFromUnmanaged<T>(Tensor src, Tensor dst) where T : unmanaged
    {
        int n = src.NumEl;
        if (n == 0) return;
        long last = 0;
        for (int d = 0; d < src.Rank; d++)
        {
            if (src.strides[d] < 0) throw new NotSupportedException("copy: negative strides over unmanaged storage");
            last += (long)(src.shape[d] - 1) * src.strides[d];
        }
        int covered = checked((int)(last + 1));
        var buffer = TensorMemory.Pool<T>().Rent(covered);
        try
        {
            using (var pin = src.storage.Pin())
                new ReadOnlySpan<T>((T*)pin.Pointer + src.offset, covered).CopyTo(buffer);
            if (dst.storage is Storage<T> managed)
            {
                Backends.Backend.Current.CopyStrided(dst.shape, buffer, 0, src.strides, managed.Array, dst.offset, dst.strides);
                return;
            }
            if (dst.storage is not NativeStorage native || !dst.IsContiguous)
                throw new NotSupportedException($"copy: cannot write into {dst.storage.Describe()}");
            var contiguous = new T[n];
            Backends.Backend.Current.CopyStrided(dst.shape, buffer, 0, src.strides, contiguous, 0, ShapeUtil.ContiguousStrides(dst.shape));
            contiguous.AsSpan().CopyTo(new Span<T>((T*)native.Address + dst.offset, n));
        }
        finally
        {
            TensorMemory.Pool<T>().Return(buffer);
        }
    }
}
