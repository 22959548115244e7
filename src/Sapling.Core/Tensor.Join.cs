namespace Sapling;

public sealed partial class Tensor
{
    /// <summary>Joins tensors along an existing dimension; all other sizes must match.</summary>
    public static Tensor Cat(IReadOnlyList<Tensor> tensors, int dim = 0)
    {
        if (tensors.Count == 0) throw new ArgumentException("cat: expected at least one tensor");
        var first = tensors[0];
        int d = ShapeUtil.NormalizeDim("cat", dim, first.Rank);
        int total = 0;
        foreach (var t in tensors)
        {
            if (t.DType != first.DType) throw new ArgumentException($"cat: dtypes differ ({first.DType.Name()} and {t.DType.Name()})");
            if (t.Rank != first.Rank) throw new ArgumentException($"cat: shapes {ShapeUtil.Format(first.shape)} and {ShapeUtil.Format(t.shape)} have different ranks");
            for (int i = 0; i < t.Rank; i++)
                if (i != d && t.shape[i] != first.shape[i])
                    throw new ArgumentException($"cat: shapes {ShapeUtil.Format(first.shape)} and {ShapeUtil.Format(t.shape)} differ in dimension {i} (only dimension {d} may differ)");
            total += t.shape[d];
        }
        var outShape = (int[])first.shape.Clone();
        outShape[d] = total;
        var result = Uninitialized(first.DType, outShape);
        var sizes = new int[tensors.Count];
        int at = 0;
        for (int i = 0; i < tensors.Count; i++)
        {
            sizes[i] = tensors[i].shape[d];
            using var slot = result.NarrowView(d, at, sizes[i]);
            slot.CopyFrom(tensors[i]);
            at += sizes[i];
        }
        var inputs = new Tensor[tensors.Count];
        for (int i = 0; i < inputs.Length; i++) inputs[i] = tensors[i];
        return Record(result, "cat", inputs, g =>
        {
            var grads = new Tensor?[inputs.Length];
            int start = 0;
            for (int i = 0; i < inputs.Length; i++)
            {
                if (inputs[i].requiresGrad) grads[i] = g.Narrow(d, start, sizes[i]).Contiguous();
                start += sizes[i];
            }
            return grads;
        });
    }

    /// <summary>Joins equally shaped tensors along a new dimension.</summary>
    public static Tensor Stack(IReadOnlyList<Tensor> tensors, int dim = 0)
    {
        if (tensors.Count == 0) throw new ArgumentException("stack: expected at least one tensor");
        int d = ShapeUtil.NormalizeDim("stack", dim, tensors[0].Rank + 1);
        var expanded = new Tensor[tensors.Count];
        for (int i = 0; i < tensors.Count; i++)
        {
            if (!ShapeUtil.SameShape(tensors[i].shape, tensors[0].shape))
                throw new ArgumentException($"stack: all tensors need the same shape, got {ShapeUtil.Format(tensors[0].shape)} and {ShapeUtil.Format(tensors[i].shape)} (tensor {i})");
            expanded[i] = tensors[i].Unsqueeze(d);
        }
        return Cat(expanded, d);
    }

    /// <summary>Splits into pieces of <paramref name="splitSize"/> along <paramref name="dim"/> (the last may be smaller); pieces are views.</summary>
    public Tensor[] Split(int splitSize, int dim = 0)
    {
        if (splitSize <= 0) throw new ArgumentOutOfRangeException(nameof(splitSize), $"split: size must be positive, got {splitSize}");
        int d = ShapeUtil.NormalizeDim("split", dim, Rank);
        var sizes = new List<int>();
        for (int at = 0; at < shape[d]; at += splitSize) sizes.Add(Math.Min(splitSize, shape[d] - at));
        return Split(sizes.ToArray(), d);
    }

    /// <summary>Splits into pieces of the given sizes, which must add up to the dimension's size.</summary>
    public Tensor[] Split(int[] sizes, int dim = 0)
    {
        int d = ShapeUtil.NormalizeDim("split", dim, Rank);
        int sum = 0;
        foreach (int s in sizes)
        {
            if (s < 0) throw new ArgumentException($"split: negative size in [{string.Join(", ", sizes)}]");
            sum += s;
        }
        if (sum != shape[d]) throw new ArgumentException($"split: sizes [{string.Join(", ", sizes)}] add up to {sum}, but dimension {d} has size {shape[d]}");
        var parts = new Tensor[sizes.Length];
        int at = 0;
        for (int i = 0; i < sizes.Length; i++)
        {
            parts[i] = Narrow(d, at, sizes[i]);
            at += sizes[i];
        }
        return parts;
    }

    /// <summary>Splits into <paramref name="chunks"/> nearly equal pieces (torch.chunk: each ceil(size/chunks)).</summary>
    public Tensor[] Chunk(int chunks, int dim = 0)
    {
        if (chunks <= 0) throw new ArgumentOutOfRangeException(nameof(chunks), $"chunk: number of chunks must be positive, got {chunks}");
        int d = ShapeUtil.NormalizeDim("chunk", dim, Rank);
        int each = Math.Max(1, (shape[d] + chunks - 1) / chunks);
        return Split(each, d);
    }
}
