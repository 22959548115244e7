namespace Sapling.Backends.Reference;

// Data movement over the compute type, from the definitions: every element addressed by its coordinates, one at a time.
// Adds are done in the element type, in index order, as the definitions (and the fast kernels) do them.
public partial class ReferenceKernels<T>
{
    /// <inheritdoc/>
    public void Fill(T[] y, int n, T value)
    {
        for (int i = 0; i < n; i++) y[i] = value;
    }

    /// <inheritdoc/>
    public void IndexAdd(T[] src, int srcOffset, int outer, int size, int inner, long[] indices, T[] dst)
    {
        // In order of j: the same additions as the definition, so repeated rows sum identically.
        for (int a = 0; a < outer; a++)
            for (int j = 0; j < indices.Length; j++)
                for (int i = 0; i < inner; i++)
                    dst[(a * size + (int)indices[j]) * inner + i] += src[srcOffset + (a * indices.Length + j) * inner + i];
    }

    /// <inheritdoc/>
    public void Gather(T[] src, int srcOffset, int[] srcStrides, int dim, int[] indexShape, long[] indices, T[] dst)
    {
        var coords = new int[indexShape.Length];
        for (int p = 0; p < indices.Length; p++)
        {
            Coordinates(p, indexShape, coords);
            coords[dim] = (int)indices[p];
            dst[p] = src[srcOffset + Dot(coords, srcStrides)];
        }
    }

    /// <inheritdoc/>
    public void ScatterAdd(T[] src, int srcOffset, int[] srcStrides, int dim, int[] indexShape, long[] indices,
        T[] dst, int dstOffset, int[] dstStrides)
    {
        var coords = new int[indexShape.Length];
        for (int p = 0; p < indices.Length; p++)
        {
            Coordinates(p, indexShape, coords);
            T value = src[srcOffset + Dot(coords, srcStrides)];
            coords[dim] = (int)indices[p];
            dst[dstOffset + Dot(coords, dstStrides)] += value;
        }
    }

    /// <inheritdoc/>
    public void Where(bool[] condition, int conditionOffset, T[] a, int aOffset, T[] b, int bOffset, T[] d, int n)
    {
        for (int i = 0; i < n; i++) d[i] = condition[conditionOffset + i] ? a[aOffset + i] : b[bOffset + i];
    }

    /// <inheritdoc/>
    public void Triangle(T[] x, int xOffset, T[] y, int matrices, int rows, int cols, int diagonal, bool lower)
    {
        for (int m = 0; m < matrices; m++)
            for (int i = 0; i < rows; i++)
                for (int j = 0; j < cols; j++)
                {
                    int at = (m * rows + i) * cols + j;
                    bool keep = lower ? j <= i + diagonal : j >= i + diagonal;
                    y[at] = keep ? x[xOffset + at] : T.Zero;
                }
    }

    /// <inheritdoc/>
    public void DropoutMask(Generator generator, float p, T[] mask, int n)
    {
        // The kept value is 1/(1 − p) in float, as the float backends compute it, whatever T is: p itself is a float,
        // and a float64 mask then scales exactly as the float32 one does.
        T kept = p == 1f ? T.Zero : T.CreateTruncating(1f / (1f - p));
        for (int i = 0; i < n; i++)
        {
            float u = generator.NextFloat();
            mask[i] = u < p ? T.Zero : kept;
        }
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
}
