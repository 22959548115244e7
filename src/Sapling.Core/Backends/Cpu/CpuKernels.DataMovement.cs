namespace Sapling.Backends.Cpu;

// Data movement: each method hands its arguments to the existing loop of its family (StridedCopy, DTypeConversion,
// IndexKernels), so routing through the seam costs one interface call per op and nothing per element.
public sealed partial class CpuKernels
{
    /// <inheritdoc/>
    public void CopyStrided<T>(int[] shape, T[] src, int srcOffset, int[] srcStrides, T[] dst, int dstOffset, int[] dstStrides) where T : unmanaged
        => StridedCopy.CopyArrays(src, srcOffset, srcStrides, dst, dstOffset, dstStrides, shape);

    /// <inheritdoc/>
    public void Fill(float[] y, int n, float value) => y.AsSpan(0, n).Fill(value);

    /// <inheritdoc/>
    public void ConvertDType(DType from, Array src, int srcOffset, DType to, Array dst, int n)
        => DTypeConversion.Convert(from, src, srcOffset, to, dst, n);

    /// <inheritdoc/>
    public void IndexSelect<T>(T[] src, int srcOffset, int outer, int size, int inner, long[] indices, T[] dst) where T : unmanaged
        => IndexKernels.IndexSelect(src, srcOffset, outer, size, inner, indices, dst);

    /// <inheritdoc/>
    public void IndexAdd(float[] src, int srcOffset, int outer, int size, int inner, long[] indices, float[] dst)
        => IndexKernels.IndexAdd(src, srcOffset, outer, size, inner, indices, dst);

    /// <inheritdoc/>
    public void Gather(float[] src, int srcOffset, int[] srcStrides, int dim, int[] indexShape, long[] indices, float[] dst)
        => IndexKernels.Gather(src, srcOffset, srcStrides, dim, indexShape, indices, dst);

    /// <inheritdoc/>
    public void ScatterAdd(float[] src, int srcOffset, int[] srcStrides, int dim, int[] indexShape, long[] indices,
        float[] dst, int dstOffset, int[] dstStrides)
        => IndexKernels.ScatterAdd(src, srcOffset, srcStrides, dim, indexShape, indices, dst, dstOffset, dstStrides);

    /// <inheritdoc/>
    public void Where(bool[] condition, int conditionOffset, float[] a, int aOffset, float[] b, int bOffset, float[] d, int n)
        => IndexKernels.Where(condition, conditionOffset, a, aOffset, b, bOffset, d, n);

    /// <inheritdoc/>
    public void Triangle(float[] x, int xOffset, float[] y, int matrices, int rows, int cols, int diagonal, bool lower)
        => IndexKernels.Triangle(x, xOffset, y, matrices, rows, cols, diagonal, lower);

    /// <inheritdoc/>
    public void DropoutMask(Generator generator, float p, float[] mask, int n)
    {
        // One draw per element in order: the stream a seed gives must not depend on the backend.
        float scale = p == 1f ? 0f : 1f / (1f - p);
        var ms = mask.AsSpan(0, n);
        for (int i = 0; i < ms.Length; i++) ms[i] = generator.NextFloat() < p ? 0f : scale;
    }
}
