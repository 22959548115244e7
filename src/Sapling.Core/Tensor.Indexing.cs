namespace Sapling;

public sealed partial class Tensor
{
    /// <summary>Picks entries along <paramref name="dim"/> by a 1-D int64/int32 index tensor (torch.index_select).</summary>
    public Tensor IndexSelect(int dim, Tensor index)
    {
        var result = DType switch
        {
            DType.Float32 => IndexSelectTyped<float>(dim, index),
            DType.Int64 => IndexSelectTyped<long>(dim, index),
            DType.Int32 => IndexSelectTyped<int>(dim, index),
            DType.Bool => IndexSelectTyped<bool>(dim, index),
            DType.BFloat16 => IndexSelectTyped<ushort>(dim, index),
            DType.Int8 => IndexSelectTyped<sbyte>(dim, index),
            _ => throw new NotSupportedException($"index_select: dtype {DType.Name()}"),
        };
        if (DType != DType.Float32) return result;
        int d = ShapeUtil.NormalizeDim("index_select", dim, Rank);
        var inputShape = shape;
        return Record(result, "index_select", this, g =>
        {
            // The gradient of a gather is a scatter-add: rows picked twice receive both contributions.
            var idx = ReadIndices("index_select", index, inputShape[d]);
            int outer = 1, inner = 1;
            for (int i = 0; i < d; i++) outer *= inputShape[i];
            for (int i = d + 1; i < inputShape.Length; i++) inner *= inputShape[i];
            var grad = Zeros(inputShape);
            var gs = g.Contiguous().AsSpan();
            var gd = grad.AsSpan();
            for (int a = 0; a < outer; a++)
                for (int j = 0; j < idx.Length; j++)
                {
                    var row = gd.Slice((a * inputShape[d] + (int)idx[j]) * inner, inner);
                    System.Numerics.Tensors.TensorPrimitives.Add(row, gs.Slice((a * idx.Length + j) * inner, inner), row);
                }
            return grad;
        });
    }

    /// <summary>The copy behind index_select, for any element type.</summary>
    private Tensor IndexSelectTyped<T>(int dim, Tensor index) where T : unmanaged
    {
        int d = ShapeUtil.NormalizeDim("index_select", dim, Rank);
        if (index.Rank > 1) throw new ArgumentException($"index_select: index must be 1-D, got shape {ShapeUtil.Format(index.shape)}");
        var idx = ReadIndices("index_select", index, shape[d]);
        var x = Contiguous();
        int outer = 1, inner = 1;
        for (int i = 0; i < d; i++) outer *= shape[i];
        for (int i = d + 1; i < Rank; i++) inner *= shape[i];
        var outShape = (int[])shape.Clone();
        outShape[d] = idx.Length;
        var result = Uninitialized(DType, outShape);
        var src = x.ArrayOf<T>().AsSpan(x.offset, x.NumEl);
        var dst = result.AsSpan<T>();
        for (int a = 0; a < outer; a++)
            for (int j = 0; j < idx.Length; j++)
                src.Slice((a * shape[d] + (int)idx[j]) * inner, inner).CopyTo(dst.Slice((a * idx.Length + j) * inner, inner));
        return result;
    }

    /// <summary>out[..., j, ...] = this[..., index[..., j, ...], ...] along <paramref name="dim"/> (torch.gather).</summary>
    public Tensor Gather(int dim, Tensor index)
    {
        RequireFloat("gather", this);
        int d = ShapeUtil.NormalizeDim("gather", dim, Rank);
        CheckScatterShapes("gather", d, index, null);
        var idx = ReadIndices("gather", index, shape[d]);
        var result = Uninitialized(DType.Float32, (int[])index.shape.Clone());
        var dst = result.FloatArray;
        var src = FloatArray;
        ForEachIndexPosition(index.shape, d, idx, strides, offset, (p, at) => dst[p] = src[at]);
        var inputShape = shape;
        var indexCopy = index;
        return Record(result, "gather", this, g => Zeros(inputShape).ScatterAddNoGrad(d, indexCopy, g));
    }

    /// <summary>A copy of this tensor with <paramref name="source"/> added at the positions <paramref name="index"/> names along <paramref name="dim"/> (torch.scatter_add).</summary>
    public Tensor ScatterAdd(int dim, Tensor index, Tensor source)
    {
        RequireFloat("scatter_add", this, source);
        int d = ShapeUtil.NormalizeDim("scatter_add", dim, Rank);
        Tensor result;
        using (Autograd.NoGrad.Enter()) result = ContiguousCopy().ScatterAddNoGrad(d, index, source);
        return Record(result, "scatter_add", this, source, g => (g, source.requiresGrad ? g.Gather(d, index) : null));
    }

    /// <summary>In-place scatter-add into this contiguous tensor; the building block of several gradient rules.</summary>
    internal Tensor ScatterAddNoGrad(int d, Tensor index, Tensor source)
    {
        CheckScatterShapes("scatter_add", d, index, source);
        var idx = ReadIndices("scatter_add", index, shape[d]);
        var src = source.Contiguous();
        var s = src.FloatArray;
        int so = src.offset;
        var dst = FloatArray;
        var sourceStrides = src.strides;
        if (ShapeUtil.SameShape(src.shape, index.shape))
        {
            ForEachIndexPosition(index.shape, d, idx, strides, offset, (p, at) => dst[at] += s[so + p]);
        }
        else
        {
            // source may be larger than index; read it at the index's coordinates.
            var ishape = index.shape;
            ForEachIndexPosition(ishape, d, idx, strides, offset, (p, at) => dst[at] += s[so + OffsetOf(p, ishape, sourceStrides)]);
        }
        return this;
    }

    /// <summary>Keeps the lower triangle of the last two dimensions (j ≤ i + diagonal), zeroing the rest.</summary>
    public Tensor Tril(int diagonal = 0) => Triangle("tril", diagonal, lower: true);

    /// <summary>Keeps the upper triangle of the last two dimensions (j ≥ i + diagonal), zeroing the rest.</summary>
    public Tensor Triu(int diagonal = 0) => Triangle("triu", diagonal, lower: false);

    /// <summary>Rows of <paramref name="weight"/> for each id in <paramref name="ids"/>: output shape ids.shape + [dim].</summary>
    public static Tensor Embedding(Tensor ids, Tensor weight)
    {
        if (weight.Rank != 2) throw new ArgumentException($"embedding: weight must be 2-D [num_embeddings, dim], got {ShapeUtil.Format(weight.shape)}");
        var flat = ids.Reshape(-1);
        var rows = weight.IndexSelect(0, flat);
        return rows.Reshape(ShapeUtil.Concat(ids.shape, [weight.shape[1]]));
    }

    private Tensor Triangle(string op, int diagonal, bool lower)
    {
        RequireFloat(op, this);
        if (Rank < 2) throw new ArgumentException($"{op}: needs at least 2 dimensions, got shape {ShapeUtil.Format(shape)}");
        var result = ContiguousCopy();
        ApplyTriangle(result.AsSpan(), shape[^2], shape[^1], diagonal, lower);
        return Record(result, op, this, g =>
        {
            var gc = g.ContiguousCopy();
            ApplyTriangle(gc.AsSpan(), shape[^2], shape[^1], diagonal, lower);
            return gc;
        });
    }

    private static void ApplyTriangle(Span<float> data, int rows, int cols, int diagonal, bool lower)
    {
        int matrices = rows * cols == 0 ? 0 : data.Length / (rows * cols);
        for (int b = 0; b < matrices; b++)
            for (int i = 0; i < rows; i++)
            {
                var row = data.Slice((b * rows + i) * cols, cols);
                if (lower)
                {
                    int keepUpTo = Math.Clamp(i + diagonal + 1, 0, cols);
                    row.Slice(keepUpTo).Clear();
                }
                else
                {
                    int clearUpTo = Math.Clamp(i + diagonal, 0, cols);
                    row.Slice(0, clearUpTo).Clear();
                }
            }
    }

    private void CheckScatterShapes(string op, int d, Tensor index, Tensor? source)
    {
        if (index.Rank != Rank)
            throw new ArgumentException($"{op}: index has rank {index.Rank} (shape {ShapeUtil.Format(index.shape)}) but the tensor has rank {Rank} (shape {ShapeUtil.Format(shape)})");
        for (int i = 0; i < Rank; i++)
        {
            if (i != d && index.shape[i] > shape[i])
                throw new ArgumentException($"{op}: index shape {ShapeUtil.Format(index.shape)} is larger than tensor shape {ShapeUtil.Format(shape)} in dimension {i}");
            if (source != null && index.shape[i] > source.shape[i])
                throw new ArgumentException($"{op}: index shape {ShapeUtil.Format(index.shape)} is larger than source shape {ShapeUtil.Format(source.shape)} in dimension {i}");
        }
        if (source != null && source.Rank != Rank)
            throw new ArgumentException($"{op}: source has rank {source.Rank} but the tensor has rank {Rank}");
    }

    /// <summary>Index values as int64, each checked against the size of the indexed dimension (negative values count from the end).</summary>
    internal static long[] ReadIndices(string op, Tensor index, int size)
    {
        long[] values = index.DType switch
        {
            DType.Int64 => index.ToArray<long>(),
            DType.Int32 => Array.ConvertAll(index.ToArray<int>(), v => (long)v),
            _ => throw new ArgumentException($"{op}: indices must be int64 or int32, got {index.DType.Name()}"),
        };
        for (int i = 0; i < values.Length; i++)
        {
            long v = values[i];
            if (v < -size || v >= size)
                throw new IndexOutOfRangeException($"{op}: index {v} is out of range for a dimension of size {size}");
            if (v < 0) values[i] = v + size;
        }
        return values;
    }

    /// <summary>Visits every position p of a contiguous index tensor with the storage offset it addresses in a strided target.</summary>
    private static void ForEachIndexPosition(int[] indexShape, int d, long[] idx, int[] targetStrides, int targetOffset, Action<int, int> visit)
    {
        int rank = indexShape.Length;
        var counter = new int[rank];
        int baseOffset = targetOffset;
        for (int p = 0; p < idx.Length; p++)
        {
            visit(p, baseOffset + (int)idx[p] * targetStrides[d]);
            for (int k = rank - 1; k >= 0; k--)
            {
                counter[k]++;
                if (k != d) baseOffset += targetStrides[k];
                if (counter[k] < indexShape[k]) break;
                if (k != d) baseOffset -= targetStrides[k] * indexShape[k];
                counter[k] = 0;
            }
        }
    }

    private static int OffsetOf(int linear, int[] shape, int[] strides)
    {
        int at = 0;
        for (int k = shape.Length - 1; k >= 0; k--)
        {
            at += linear % shape[k] * strides[k];
            linear /= shape[k];
        }
        return at;
    }
}
