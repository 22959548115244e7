namespace Sapling.Backends.Reference;

// Data movement from the definitions: every element addressed by its coordinates, one at a time.
public sealed partial class ReferenceKernels
{
    public void CopyStrided<T>(int[] shape, T[] src, int srcOffset, int[] srcStrides, T[] dst, int dstOffset, int[] dstStrides) where T : unmanaged
    {
        int n = Numel(shape);
        for (int linear = 0; linear < n; linear++)
            dst[dstOffset + Address(linear, shape, dstStrides)] = src[srcOffset + Address(linear, shape, srcStrides)];
    }

    public void Fill(float[] y, int n, float value)
    {
        for (int i = 0; i < n; i++) y[i] = value;
    }

    public void IndexSelect<T>(T[] src, int srcOffset, int outer, int size, int inner, long[] indices, T[] dst) where T : unmanaged
    {
        for (int a = 0; a < outer; a++)
            for (int j = 0; j < indices.Length; j++)
                for (int i = 0; i < inner; i++)
                    dst[(a * indices.Length + j) * inner + i] = src[srcOffset + (a * size + (int)indices[j]) * inner + i];
    }

    public void IndexAdd(float[] src, int srcOffset, int outer, int size, int inner, long[] indices, float[] dst)
    {
        // In float, in order of j: the same additions as the definition, so repeated rows sum identically.
        for (int a = 0; a < outer; a++)
            for (int j = 0; j < indices.Length; j++)
                for (int i = 0; i < inner; i++)
                    dst[(a * size + (int)indices[j]) * inner + i] += src[srcOffset + (a * indices.Length + j) * inner + i];
    }

    public void Gather(float[] src, int srcOffset, int[] srcStrides, int dim, int[] indexShape, long[] indices, float[] dst)
    {
        var coords = new int[indexShape.Length];
        for (int p = 0; p < indices.Length; p++)
        {
            Coordinates(p, indexShape, coords);
            coords[dim] = (int)indices[p];
            dst[p] = src[srcOffset + Dot(coords, srcStrides)];
        }
    }

    public void ScatterAdd(float[] src, int srcOffset, int[] srcStrides, int dim, int[] indexShape, long[] indices,
        float[] dst, int dstOffset, int[] dstStrides)
    {
        var coords = new int[indexShape.Length];
        for (int p = 0; p < indices.Length; p++)
        {
            Coordinates(p, indexShape, coords);
            float value = src[srcOffset + Dot(coords, srcStrides)];
            coords[dim] = (int)indices[p];
            dst[dstOffset + Dot(coords, dstStrides)] += value;
        }
    }

    public void Where(bool[] condition, int conditionOffset, float[] a, int aOffset, float[] b, int bOffset, float[] d, int n)
    {
        for (int i = 0; i < n; i++) d[i] = condition[conditionOffset + i] ? a[aOffset + i] : b[bOffset + i];
    }

    public void Triangle(float[] x, int xOffset, float[] y, int matrices, int rows, int cols, int diagonal, bool lower)
    {
        for (int m = 0; m < matrices; m++)
            for (int i = 0; i < rows; i++)
                for (int j = 0; j < cols; j++)
                {
                    int at = (m * rows + i) * cols + j;
                    bool keep = lower ? j <= i + diagonal : j >= i + diagonal;
                    y[at] = keep ? x[xOffset + at] : 0f;
                }
    }

    public void DropoutMask(Generator generator, float p, float[] mask, int n)
    {
        for (int i = 0; i < n; i++)
        {
            float u = generator.NextFloat();
            mask[i] = u < p ? 0f : p == 1f ? 0f : 1f / (1f - p);
        }
    }

    private static int Numel(int[] shape)
    {
        int n = 1;
        foreach (int s in shape) n *= s;
        return n;
    }

    /// <summary>The row-major coordinates of element <paramref name="linear"/> of <paramref name="shape"/>.</summary>
    private static void Coordinates(int linear, int[] shape, int[] coords)
    {
        for (int k = shape.Length - 1; k >= 0; k--)
        {
            coords[k] = linear % shape[k];
            linear /= shape[k];
        }
    }

    private static int Dot(int[] coords, int[] strides)
    {
        int at = 0;
        for (int k = 0; k < coords.Length; k++) at += coords[k] * strides[k];
        return at;
    }

    /// <summary>Where element <paramref name="linear"/> (row-major) of <paramref name="shape"/> lies in a layout with <paramref name="strides"/>.</summary>
    private static int Address(int linear, int[] shape, int[] strides)
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
