namespace Sapling.Backends;

/// <summary>
/// The data movement whose elements are the compute type: fills, index adds, gathers, scatters, selection, triangles
/// and dropout masks. Indices have been checked by the tensor layer.
/// </summary>
public partial interface IComputeKernels<T>
{
    /// <summary>y[0, n) = value.</summary>
    void Fill(T[] y, int n, T value);

    /// <summary>
    /// The adjoint of <see cref="IKernels.IndexSelect{T}"/>: adds src [outer, indices.Length, inner] into row indices[j] of dst
    /// [outer, size, inner] (from element 0), in order of j, so repeated rows receive every contribution.
    /// </summary>
    void IndexAdd(T[] src, int srcOffset, int outer, int size, int inner, long[] indices, T[] dst);

    /// <summary>
    /// torch.gather: for every position p (row-major) of an index of <paramref name="indexShape"/>, dst[p] = the
    /// strided source at p's coordinates with coordinate <paramref name="dim"/> replaced by indices[p].
    /// </summary>
    void Gather(T[] src, int srcOffset, int[] srcStrides, int dim, int[] indexShape, long[] indices, T[] dst);

    /// <summary>
    /// torch.scatter_add_, in place: for every position p (row-major) of the index, adds the strided source read at p's
    /// coordinates into the strided destination at p's coordinates with coordinate <paramref name="dim"/> replaced by
    /// indices[p]. Positions are visited in order, so repeated targets sum in a fixed order.
    /// </summary>
    void ScatterAdd(T[] src, int srcOffset, int[] srcStrides, int dim, int[] indexShape, long[] indices,
        T[] dst, int dstOffset, int[] dstStrides);

    /// <summary>d[i] = condition[i] ? a[i] : b[i] over n contiguous elements (where, masked_fill).</summary>
    void Where(bool[] condition, int conditionOffset, T[] a, int aOffset, T[] b, int bOffset, T[] d, int n);

    /// <summary>
    /// For each of <paramref name="matrices"/> contiguous [rows, cols] matrices, copies x into y keeping the lower
    /// triangle j ≤ i + diagonal (or, when not <paramref name="lower"/>, the upper one j ≥ i + diagonal) and zeroing the rest.
    /// </summary>
    void Triangle(T[] x, int xOffset, T[] y, int matrices, int rows, int cols, int diagonal, bool lower);

    /// <summary>
    /// A dropout mask: for i = 0 .. n−1 in order, one <see cref="Generator.NextFloat"/> draw u, and mask[i] = u &lt; p ?
    /// 0 : 1/(1 − p) (0 everywhere when p = 1). Exactly n draws in that order, so a seed gives the same mask on every
    /// backend and the generator's stream continues the same way after it.
    /// </summary>
    void DropoutMask(Generator generator, float p, T[] mask, int n);
}
