using System.Numerics.Tensors;

namespace Sapling.Backends.Cpu;

/// <summary>
/// The element loops of indexing ops, moved out of the tensor layer unchanged: whole rows move as block copies
/// (index_select) or vector adds (its gradient); gather and scatter walk the index with an odometer, so no position
/// is recomputed from scratch.
/// </summary>
internal static class IndexKernels
{
    public static void IndexSelect<T>(T[] src, int srcOffset, int outer, int size, int inner, long[] indices, T[] dst) where T : unmanaged
    {
        var s = src.AsSpan(srcOffset, outer * size * inner);
        var d = dst.AsSpan(0, outer * indices.Length * inner);
        for (int a = 0; a < outer; a++)
            for (int j = 0; j < indices.Length; j++)
                s.Slice((a * size + (int)indices[j]) * inner, inner).CopyTo(d.Slice((a * indices.Length + j) * inner, inner));
    }

    public static void IndexAdd(float[] src, int srcOffset, int outer, int size, int inner, long[] indices, float[] dst)
    {
        var s = src.AsSpan(srcOffset, outer * indices.Length * inner);
        var d = dst.AsSpan(0, outer * size * inner);
        for (int a = 0; a < outer; a++)
            for (int j = 0; j < indices.Length; j++)
            {
                var row = d.Slice((a * size + (int)indices[j]) * inner, inner);
                TensorPrimitives.Add(row, s.Slice((a * indices.Length + j) * inner, inner), row);
            }
    }

    public static void Gather(float[] src, int srcOffset, int[] srcStrides, int dim, int[] indexShape, long[] indices, float[] dst)
    {
        int rank = indexShape.Length;
        Span<int> counter = stackalloc int[rank];
        int baseOffset = srcOffset;
        for (int p = 0; p < indices.Length; p++)
        {
            dst[p] = src[baseOffset + (int)indices[p] * srcStrides[dim]];
            Step(counter, indexShape, dim, srcStrides, ref baseOffset);
        }
    }

    public static void ScatterAdd(float[] src, int srcOffset, int[] srcStrides, int dim, int[] indexShape, long[] indices,
        float[] dst, int dstOffset, int[] dstStrides)
    {
        int rank = indexShape.Length;
        Span<int> counter = stackalloc int[rank];
        int dstBase = dstOffset;
        if (IsContiguous(indexShape, srcStrides))
        {
            // The common case (a source of the index's shape): position p is element p of the source.
            for (int p = 0; p < indices.Length; p++)
            {
                dst[dstBase + (int)indices[p] * dstStrides[dim]] += src[srcOffset + p];
                Step(counter, indexShape, dim, dstStrides, ref dstBase);
            }
            return;
        }
        for (int p = 0; p < indices.Length; p++)
        {
            // The source is read at the index's own coordinates, dimension dim included.
            int at = srcOffset;
            for (int k = 0; k < rank; k++) at += counter[k] * srcStrides[k];
            dst[dstBase + (int)indices[p] * dstStrides[dim]] += src[at];
            Step(counter, indexShape, dim, dstStrides, ref dstBase);
        }
    }

    private static bool IsContiguous(int[] shape, int[] strides)
    {
        int expected = 1;
        for (int k = shape.Length - 1; k >= 0; k--)
        {
            if (shape[k] != 1 && strides[k] != expected) return false;
            expected *= shape[k];
        }
        return true;
    }

    /// <summary>Advances the odometer over the index shape, moving the base offset along every dimension but <paramref name="dim"/>.</summary>
    private static void Step(Span<int> counter, int[] shape, int dim, int[] strides, ref int baseOffset)
    {
        for (int k = shape.Length - 1; k >= 0; k--)
        {
            counter[k]++;
            if (k != dim) baseOffset += strides[k];
            if (counter[k] < shape[k]) return;
            if (k != dim) baseOffset -= strides[k] * shape[k];
            counter[k] = 0;
        }
    }

    public static void Where(bool[] condition, int conditionOffset, float[] a, int aOffset, float[] b, int bOffset, float[] d, int n)
    {
        var cs = condition.AsSpan(conditionOffset, n);
        var xs = a.AsSpan(aOffset, n);
        var ys = b.AsSpan(bOffset, n);
        var ds = d.AsSpan(0, n);
        for (int i = 0; i < ds.Length; i++) ds[i] = cs[i] ? xs[i] : ys[i];
    }

    public static void Triangle(float[] x, int xOffset, float[] y, int matrices, int rows, int cols, int diagonal, bool lower)
    {
        int n = matrices * rows * cols;
        x.AsSpan(xOffset, n).CopyTo(y);
        var data = y.AsSpan(0, n);
        for (int b = 0; b < matrices; b++)
            for (int i = 0; i < rows; i++)
            {
                var row = data.Slice((b * rows + i) * cols, cols);
                if (lower) row.Slice(Math.Clamp(i + diagonal + 1, 0, cols)).Clear();
                else row.Slice(0, Math.Clamp(i + diagonal, 0, cols)).Clear();
            }
    }
}
