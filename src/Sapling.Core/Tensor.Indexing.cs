using Sapling.Backends;

namespace Sapling;

public sealed partial class Tensor
{
    /// <summary>Picks entries along <paramref name="dim"/> by a 1-D int64/int32 index tensor (torch.index_select).</summary>
    public Tensor IndexSelect(int dim, Tensor index)
    {
        var result = DType switch
        {
            DType.Float32 => IndexSelectTyped<float>(dim, index),
            DType.Float64 => IndexSelectTyped<double>(dim, index),
            DType.Int64 => IndexSelectTyped<long>(dim, index),
            DType.Int32 => IndexSelectTyped<int>(dim, index),
            DType.Bool => IndexSelectTyped<bool>(dim, index),
            DType.BFloat16 => IndexSelectTyped<ushort>(dim, index),
            DType.Float16 => IndexSelectTyped<Half>(dim, index),
            DType.Int8 => IndexSelectTyped<sbyte>(dim, index),
            _ => throw new NotSupportedException($"index_select: dtype {DType.Name()}"),
        };
        if (!DType.IsComputeType()) return result;
        int d = ShapeUtil.NormalizeDim("index_select", dim, Rank);
        var inputShape = shape;
        return Record(result, "index_select", this, g =>
        {
            // The gradient of a gather is a scatter-add: rows picked twice receive both contributions.
            var idx = ReadIndices("index_select", index, inputShape[d]);
            int outer = 1, inner = 1;
            for (int i = 0; i < d; i++) outer *= inputShape[i];
            for (int i = d + 1; i < inputShape.Length; i++) inner *= inputShape[i];
            var grad = Zeros(inputShape, g.DType);
            var gc = g.Contiguous();
            TensorKernels.For(g.DType).IndexAdd(gc, outer, inputShape[d], inner, idx, grad);
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
        Backend.Current.IndexSelect(x.ArrayOf<T>(), x.offset, outer, shape[d], inner, idx, result.ArrayOf<T>());
        return result;
    }

    /// <summary>out[..., j, ...] = this[..., index[..., j, ...], ...] along <paramref name="dim"/> (torch.gather).</summary>
    public Tensor Gather(int dim, Tensor index)
    {
        RequireFloat("gather", this);
        int d = ShapeUtil.NormalizeDim("gather", dim, Rank);
        CheckScatterShapes("gather", d, index, null);
        var idx = ReadIndices("gather", index, shape[d]);
        var result = Uninitialized(DType, (int[])index.shape.Clone());
        TensorKernels.For(DType).Gather(this, d, index.shape, idx, result);
        var inputShape = shape;
        var indexCopy = index;
        return Record(result, "gather", this, g => Zeros(inputShape, g.DType).ScatterAddNoGrad(d, indexCopy, g));
    }

    /// <summary>A copy of this tensor with <paramref name="source"/> added at the positions <paramref name="index"/> names along <paramref name="dim"/> (torch.scatter_add).</summary>
    public Tensor ScatterAdd(int dim, Tensor index, Tensor source)
    {
        RequireFloat("scatter_add", this, source);
        int d = ShapeUtil.NormalizeDim("scatter_add", dim, Rank);
        Tensor result;
        using (Autograd.NoGrad.Enter()) result = ContiguousCopy().ScatterAddNoGrad(d, index, source);
        var sourceShape = source.shape;
        return Record(result, "scatter_add", this, source, g => (g, source.requiresGrad ? SourceGradient(g.Gather(d, index), sourceShape) : null));
    }

    // Only the source elements at the index's coordinates were added; a larger source gets zeros for the rest.
    private static Tensor SourceGradient(Tensor gathered, int[] sourceShape)
    {
        if (ShapeUtil.SameShape(gathered.shape, sourceShape)) return gathered;
        var full = Zeros(sourceShape, gathered.DType);
        var region = full;
        for (int k = 0; k < sourceShape.Length; k++) region = region.Narrow(k, 0, gathered.shape[k]);
        region.CopyFrom(gathered);
        return full;
    }

    /// <summary>In-place scatter-add into this contiguous tensor; the building block of several gradient rules.</summary>
    internal Tensor ScatterAddNoGrad(int d, Tensor index, Tensor source)
    {
        CheckScatterShapes("scatter_add", d, index, source);
        var idx = ReadIndices("scatter_add", index, shape[d]);
        // source may be larger than index; the kernel reads it at the index's coordinates.
        var src = source.Contiguous();
        TensorKernels.For(DType).ScatterAdd(src, d, index.shape, idx, this);
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
        if (weight.IsStoredWeight) return EmbeddingStored(ids, weight);
        var flat = ids.Reshape(-1);
        var rows = weight.IndexSelect(0, flat);
        return rows.Reshape(ShapeUtil.Concat(ids.shape, [weight.shape[1]]));
    }

    private Tensor Triangle(string op, int diagonal, bool lower)
    {
        RequireFloat(op, this);
        if (Rank < 2) throw new ArgumentException($"{op}: needs at least 2 dimensions, got shape {ShapeUtil.Format(shape)}");
        var result = ApplyTriangle(this, diagonal, lower);
        return Record(result, op, this, g => ApplyTriangle(g, diagonal, lower));
    }

    /// <summary>A contiguous copy of <paramref name="t"/> with the other triangle of each trailing matrix zeroed.</summary>
    private static Tensor ApplyTriangle(Tensor t, int diagonal, bool lower)
    {
        var x = t.Contiguous();
        var result = Uninitialized(t.DType, (int[])t.shape.Clone());
        int rows = t.shape[^2], cols = t.shape[^1];
        int matrices = rows * cols == 0 ? 0 : result.NumEl / (rows * cols);
        TensorKernels.For(t.DType).Triangle(x, result, matrices, rows, cols, diagonal, lower);
        return result;
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
}
