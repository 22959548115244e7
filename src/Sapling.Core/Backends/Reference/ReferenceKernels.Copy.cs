namespace Sapling.Backends.Reference;

// The float backend's copies of any element type (IKernels), from the definitions: every element addressed by its
// coordinates, one at a time.
public sealed partial class ReferenceKernels
{
    /// <inheritdoc/>
    public void CopyStrided<T>(int[] shape, T[] src, int srcOffset, int[] srcStrides, T[] dst, int dstOffset, int[] dstStrides) where T : unmanaged
    {
        int n = Numel(shape);
        for (int linear = 0; linear < n; linear++)
            dst[dstOffset + Address(linear, shape, dstStrides)] = src[srcOffset + Address(linear, shape, srcStrides)];
    }

    /// <inheritdoc/>
    public void IndexSelect<T>(T[] src, int srcOffset, int outer, int size, int inner, long[] indices, T[] dst) where T : unmanaged
    {
        for (int a = 0; a < outer; a++)
            for (int j = 0; j < indices.Length; j++)
                for (int i = 0; i < inner; i++)
                    dst[(a * indices.Length + j) * inner + i] = src[srcOffset + (a * size + (int)indices[j]) * inner + i];
    }

    private static int Numel(int[] shape)
    {
        int n = 1;
        foreach (int s in shape) n *= s;
        return n;
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
