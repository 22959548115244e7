using Sapling.Backends;

namespace Sapling;

public sealed partial class Tensor
{
    private Tensor ViewOf(int[] newShape, int[] newStrides, int newOffset) => new(storage, newShape, newStrides, newOffset, sharesStorage: true);

    /// <summary>Same data, new shape; one dimension may be -1 (inferred). Copies only when the layout cannot be viewed.</summary>
    public Tensor Reshape(params int[] newShape)
    {
        newShape = InferShape("reshape", newShape);
        var viewStrides = ViewStrides(newShape);
        var result = viewStrides != null
            ? ViewOf(newShape, viewStrides, offset)
            : ContiguousCopy().ViewOf(newShape, ShapeUtil.ContiguousStrides(newShape), 0);
        return ReshapeRecord(result);
    }

    /// <summary>Like <see cref="Reshape"/> but never copies: fails when the strides do not allow a view.</summary>
    public Tensor View(params int[] newShape)
    {
        newShape = InferShape("view", newShape);
        var viewStrides = ViewStrides(newShape) ?? throw new InvalidOperationException(
            $"view: shape {ShapeUtil.Format(newShape)} is not compatible with the strides {ShapeUtil.Format(strides)} of a tensor of shape {ShapeUtil.Format(shape)}; use Reshape() (which copies)");
        return ReshapeRecord(ViewOf(newShape, viewStrides, offset));
    }

    private Tensor ReshapeRecord(Tensor result)
    {
        var inputShape = shape;
        return Record(result, "reshape", this, g => g.Reshape(inputShape));
    }

    /// <summary>
    /// Merges dimensions <paramref name="startDim"/> to <paramref name="endDim"/> (inclusive) into one, as a view
    /// where the strides allow; a scalar becomes shape [1].
    /// </summary>
    public Tensor Flatten(int startDim = 0, int endDim = -1)
    {
        if (Rank == 0) return Reshape(1);
        int s = ShapeUtil.NormalizeDim("flatten", startDim, Rank), e = ShapeUtil.NormalizeDim("flatten", endDim, Rank);
        if (s > e) throw new ArgumentException($"flatten: start dimension {startDim} comes after end dimension {endDim}");
        var ns = new List<int>();
        for (int d = 0; d < s; d++) ns.Add(shape[d]);
        int merged = 1;
        for (int d = s; d <= e; d++) merged *= shape[d];
        ns.Add(merged);
        for (int d = e + 1; d < Rank; d++) ns.Add(shape[d]);
        return Reshape(ns.ToArray());
    }

    /// <summary>Swaps two dimensions, as a view (no copy).</summary>
    public Tensor Transpose(int dim0, int dim1)
    {
        int a = ShapeUtil.NormalizeDim("transpose", dim0, Rank), b = ShapeUtil.NormalizeDim("transpose", dim1, Rank);
        if (Rank == 0) return Detached(this);
        var ns = (int[])shape.Clone();
        var st = (int[])strides.Clone();
        (ns[a], ns[b]) = (ns[b], ns[a]);
        (st[a], st[b]) = (st[b], st[a]);
        return Record(ViewOf(ns, st, offset), "transpose", this, g => g.Transpose(a, b));
    }

    /// <summary>The transpose of a 2-D tensor (PyTorch's <c>.T</c> / <c>.t()</c>).</summary>
    public Tensor T()
    {
        if (Rank > 2) throw new InvalidOperationException($"T() is for tensors of rank <= 2, this one has shape {ShapeUtil.Format(shape)}; use Transpose(d0, d1) or Permute");
        return Rank < 2 ? Detached(this) : Transpose(0, 1);
    }

    /// <summary>
    /// Reorders the dimensions, as a view: the result's dimension i is this tensor's dimension
    /// <paramref name="dims"/>[i].
    /// </summary>
    public Tensor Permute(params int[] dims)
    {
        if (dims.Length != Rank)
            throw new ArgumentException($"permute: {dims.Length} dimensions given for a tensor of rank {Rank} (shape {ShapeUtil.Format(shape)})");
        var ns = new int[Rank];
        var st = new int[Rank];
        var inverse = new int[Rank];
        var seen = new bool[Rank];
        for (int i = 0; i < Rank; i++)
        {
            int d = ShapeUtil.NormalizeDim("permute", dims[i], Rank);
            if (seen[d]) throw new ArgumentException($"permute: dimension {d} appears twice in [{string.Join(", ", dims)}]");
            seen[d] = true;
            ns[i] = shape[d];
            st[i] = strides[d];
            inverse[d] = i;
        }
        return Record(ViewOf(ns, st, offset), "permute", this, g => g.Permute(inverse));
    }

    /// <summary>Elements start..start+length-1 along one dimension, as a view.</summary>
    public Tensor Narrow(int dim, int start, int length)
    {
        int d = ShapeUtil.NormalizeDim("narrow", dim, Rank);
        if (start < 0) start += shape[d];
        if (start < 0 || length < 0 || start + length > shape[d])
            throw new ArgumentOutOfRangeException(nameof(start), $"narrow: range start {start}, length {length} is out of bounds for dimension {d} of size {shape[d]}");
        var ns = (int[])shape.Clone();
        ns[d] = length;
        var inputShape = shape;
        return Record(ViewOf(ns, (int[])strides.Clone(), offset + start * strides[d]), "narrow", this, g =>
        {
            var full = Zeros(inputShape, g.DType);
            full.NarrowView(d, start, length).CopyFrom(g);
            return full;
        });
    }

    /// <summary>A narrow view that autograd does not see (for writing into part of a tensor).</summary>
    internal Tensor NarrowView(int d, int start, int length)
    {
        var ns = (int[])shape.Clone();
        ns[d] = length;
        return ViewOf(ns, (int[])strides.Clone(), offset + start * strides[d]);
    }

    /// <summary>Removes one dimension by picking index <paramref name="index"/> along it (<c>t[:, i]</c>).</summary>
    public Tensor Select(int dim, int index)
    {
        int d = ShapeUtil.NormalizeDim("select", dim, Rank);
        if (index < -shape[d] || index >= shape[d])
            throw new IndexOutOfRangeException($"select: index {index} is out of range for dimension {d} of size {shape[d]}");
        if (index < 0) index += shape[d];
        return Narrow(d, index, 1).Squeeze(d);
    }

    /// <summary>Broadcasts size-1 dimensions to larger sizes without copying (stride 0); -1 keeps a size.</summary>
    public Tensor Expand(params int[] newShape)
    {
        if (newShape.Length < Rank)
            throw new ArgumentException($"expand: target shape {ShapeUtil.Format(newShape)} has fewer dimensions than the tensor's {ShapeUtil.Format(shape)}");
        int lead = newShape.Length - Rank;
        var ns = new int[newShape.Length];
        var st = new int[newShape.Length];
        for (int i = 0; i < newShape.Length; i++)
        {
            int src = i - lead;
            int want = newShape[i];
            if (src < 0)
            {
                if (want < 0) throw new ArgumentException($"expand: -1 is not allowed for the new leading dimension {i}");
                ns[i] = want;
                st[i] = 0;
                continue;
            }
            int have = shape[src];
            if (want == -1 || want == have)
            {
                ns[i] = have;
                st[i] = strides[src];
            }
            else if (have == 1)
            {
                ns[i] = want;
                st[i] = 0;
            }
            else
            {
                throw new ArgumentException($"expand: cannot expand shape {ShapeUtil.Format(shape)} to {ShapeUtil.Format(newShape)} (dimension {i}: {have} is not 1)");
            }
        }
        var inputShape = shape;
        return Record(ViewOf(ns, st, offset), "expand", this, g => g.SumToShape(inputShape));
    }

    /// <summary>
    /// Expands this tensor to the shape of <paramref name="other"/> without copying (see <see cref="Expand"/>).
    /// </summary>
    public Tensor ExpandAs(Tensor other) => Expand(other.shape);

    /// <summary>Removes all size-1 dimensions, or only <paramref name="dim"/> when given (no-op when that size is not 1).</summary>
    public Tensor Squeeze(int? dim = null)
    {
        var ns = new List<int>();
        if (dim is int dd)
        {
            int d = ShapeUtil.NormalizeDim("squeeze", dd, Rank);
            for (int i = 0; i < Rank; i++) if (i != d || shape[i] != 1) ns.Add(shape[i]);
        }
        else
        {
            foreach (int s in shape) if (s != 1) ns.Add(s);
        }
        return Reshape(ns.ToArray());
    }

    /// <summary>
    /// Inserts a size-1 dimension at position <paramref name="dim"/> (negative counts from the end of the result).
    /// </summary>
    public Tensor Unsqueeze(int dim)
    {
        int d = ShapeUtil.NormalizeDim("unsqueeze", dim, Rank + 1);
        var ns = new List<int>(shape);
        ns.Insert(d, 1);
        return Reshape(ns.ToArray());
    }

    /// <summary>This tensor when already contiguous, otherwise a contiguous copy.</summary>
    public Tensor Contiguous() => IsContiguous ? this : Clone();

    /// <summary>A contiguous copy that autograd sees as the identity.</summary>
    public Tensor Clone() => Record(ContiguousCopy(), "clone", this, g => g);

    internal Tensor ContiguousCopy()
    {
        var result = Uninitialized(DType, (int[])shape.Clone());
        CopyElements(this, result);
        return result;
    }

    /// <summary>Copies <paramref name="source"/> (broadcast to this shape) into this tensor's elements in place. Not recorded by autograd.</summary>
    public Tensor CopyFrom(Tensor source)
    {
        ThrowIfDisposed();
        if (source.DType != DType) throw new ArgumentException($"copy: source dtype {source.DType.Name()} differs from destination dtype {DType.Name()}; convert with To() first");
        var src = ShapeUtil.SameShape(source.shape, shape) ? source : source.BroadcastViewTo("copy", shape);
        CopyElements(src, this);
        return this;
    }

    /// <summary>Copies every element of <paramref name="src"/> into <paramref name="dst"/> (same shape and dtype, any strides) on the current backend.</summary>
    private static void CopyElements(Tensor src, Tensor dst)
    {
        if (!dst.storage.IsWritable) throw new NotSupportedException($"copy: the destination lives in {dst.storage.Describe()}, which is read-only");
        if (src.storage.Kind is Memory.StorageKind.Native or Memory.StorageKind.Mapped || dst.storage.Kind == Memory.StorageKind.Native)
        {
            switch (src.DType)
            {
                case DType.Float32: CopyFromUnmanaged<float>(src, dst); return;
                case DType.BFloat16: CopyFromUnmanaged<ushort>(src, dst); return;
                case DType.Float16: CopyFromUnmanaged<Half>(src, dst); return;
                case DType.Float64: CopyFromUnmanaged<double>(src, dst); return;
                case DType.Int8: CopyFromUnmanaged<sbyte>(src, dst); return;
                case DType.Int32: CopyFromUnmanaged<int>(src, dst); return;
                case DType.Int64: CopyFromUnmanaged<long>(src, dst); return;
                case DType.Bool: CopyFromUnmanaged<bool>(src, dst); return;
            }
        }
        switch (dst.storage)
        {
            case Memory.Storage<float>: CopyElements<float>(src, dst); break;
            case Memory.Storage<double>: CopyElements<double>(src, dst); break;
            case Memory.Storage<long>: CopyElements<long>(src, dst); break;
            case Memory.Storage<int>: CopyElements<int>(src, dst); break;
            case Memory.Storage<bool>: CopyElements<bool>(src, dst); break;
            case Memory.Storage<ushort>: CopyElements<ushort>(src, dst); break;
            case Memory.Storage<sbyte>: CopyElements<sbyte>(src, dst); break;
            case Memory.Storage<Half>: CopyElements<Half>(src, dst); break;
        }
    }

    private static void CopyElements<T>(Tensor src, Tensor dst) where T : unmanaged
        => Backend.Current.CopyStrided(dst.shape, src.ArrayOf<T>(), src.offset, src.strides, dst.ArrayOf<T>(), dst.offset, dst.strides);

    /// <summary>A stride-0 view of this tensor at a broadcast shape, without autograd (kernels read through it).</summary>
    internal Tensor BroadcastViewTo(string op, int[] target)
    {
        if (target.Length < Rank) throw new ArgumentException($"{op}: cannot broadcast shape {ShapeUtil.Format(shape)} to {ShapeUtil.Format(target)}");
        int lead = target.Length - Rank;
        var st = new int[target.Length];
        for (int i = 0; i < target.Length; i++)
        {
            int src = i - lead;
            if (src < 0) continue;
            if (shape[src] == target[i]) st[i] = strides[src];
            else if (shape[src] == 1) st[i] = 0;
            else throw new ArgumentException($"{op}: cannot broadcast shape {ShapeUtil.Format(shape)} to {ShapeUtil.Format(target)}");
        }
        return ViewOf((int[])target.Clone(), st, offset);
    }

    /// <summary>Sums a broadcast gradient back down to <paramref name="target"/> (the shape of the op's input).</summary>
    internal Tensor SumToShape(int[] target)
    {
        if (ShapeUtil.SameShape(shape, target)) return this;
        int lead = Rank - target.Length;
        var dims = new List<int>();
        for (int i = 0; i < Rank; i++)
        {
            if (i < lead) dims.Add(i);
            else if (target[i - lead] == 1 && shape[i] != 1) dims.Add(i);
        }
        var summed = dims.Count > 0 ? Sum(dims.ToArray(), keepDim: true) : this;
        return summed.Reshape(target);
    }

    private static Tensor Detached(Tensor t) => Record(t.ViewOf((int[])t.shape.Clone(), (int[])t.strides.Clone(), t.offset), "alias", t, g => g);

    private int[] InferShape(string op, int[] newShape)
    {
        int infer = -1, known = 1;
        for (int i = 0; i < newShape.Length; i++)
        {
            if (newShape[i] == -1)
            {
                if (infer >= 0) throw new ArgumentException($"{op}: only one dimension can be -1 in {ShapeUtil.Format(newShape)}");
                infer = i;
            }
            else if (newShape[i] < 0) throw new ArgumentException($"{op}: invalid size {newShape[i]} in {ShapeUtil.Format(newShape)}");
            else known *= newShape[i];
        }
        int n = NumEl;
        var result = (int[])newShape.Clone();
        if (infer >= 0)
        {
            if (known == 0 || n % known != 0)
                throw new ArgumentException($"{op}: shape {ShapeUtil.Format(newShape)} is invalid for a tensor of {n} elements (shape {ShapeUtil.Format(shape)})");
            result[infer] = n / known;
        }
        else if (known != n)
        {
            throw new ArgumentException($"{op}: shape {ShapeUtil.Format(newShape)} is invalid for a tensor of {n} elements (shape {ShapeUtil.Format(shape)})");
        }
        return result;
    }

    /// <summary>Strides that let <paramref name="newShape"/> view the same memory, or null when a copy is needed (PyTorch's rule).</summary>
    private int[]? ViewStrides(int[] newShape)
    {
        if (IsContiguous) return ShapeUtil.ContiguousStrides(newShape);
        var ns = new int[newShape.Length];
        int viewD = newShape.Length - 1;
        int chunkBase = strides[^1];
        long tensorNumel = 1, viewNumel = 1;
        for (int d = Rank - 1; d >= 0; d--)
        {
            tensorNumel *= shape[d];
            if (d == 0 || (shape[d - 1] != 1 && strides[d - 1] != tensorNumel * chunkBase))
            {
                while (viewD >= 0 && (viewNumel < tensorNumel || newShape[viewD] == 1))
                {
                    ns[viewD] = (int)(viewNumel * chunkBase);
                    viewNumel *= newShape[viewD];
                    viewD--;
                }
                if (viewNumel != tensorNumel) return null;
                if (d > 0)
                {
                    chunkBase = strides[d - 1];
                    tensorNumel = 1;
                    viewNumel = 1;
                }
            }
        }
        return viewD == -1 ? ns : null;
    }
}
