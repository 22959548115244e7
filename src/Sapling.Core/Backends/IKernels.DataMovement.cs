namespace Sapling.Backends;

/// <summary>
/// Moving data: the copies, gathers and scatters behind views, indexing, dtype conversion and fills. The tensor layer
/// has already checked shapes and turned every index into a non-negative, in-range position (so its error messages
/// stay the same on every backend); a kernel only moves elements. Element types are the storage types: float,
/// ushort (bf16 bits), sbyte, int, long and bool.
/// </summary>
public partial interface IKernels
{
    /// <summary>
    /// dst[dstOffset + Σ i_d·dstStrides[d]] = src[srcOffset + Σ i_d·srcStrides[d]] for every index i of
    /// <paramref name="shape"/>: gathering a strided view into contiguous memory, or writing into a strided
    /// destination (CopyFrom). Source strides may be 0 (broadcast); the destination must not overlap itself or the source.
    /// </summary>
    void CopyStrided<T>(int[] shape, T[] src, int srcOffset, int[] srcStrides, T[] dst, int dstOffset, int[] dstStrides) where T : unmanaged;

    /// <summary>y[0, n) = value.</summary>
    void Fill(float[] y, int n, float value);

    /// <summary>
    /// Converts n elements from one dtype's storage to another's, as PyTorch does: float→bf16 rounds to nearest even
    /// (NaN stays NaN), float→integer truncates toward zero, integer→narrower integer keeps the low bits, anything→bool
    /// is ≠ 0. <paramref name="src"/> and <paramref name="dst"/> are the storage arrays of those dtypes.
    /// </summary>
    void ConvertDType(DType from, Array src, int srcOffset, DType to, Array dst, int n);

    /// <summary>
    /// For a contiguous source [outer, size, inner], dst [outer, indices.Length, inner] takes row indices[j] of each
    /// outer block as its row j (index_select).
    /// </summary>
    void IndexSelect<T>(T[] src, int srcOffset, int outer, int size, int inner, long[] indices, T[] dst) where T : unmanaged;

    /// <summary>
    /// The adjoint of <see cref="IndexSelect{T}"/>: adds src [outer, indices.Length, inner] into row indices[j] of dst
    /// [outer, size, inner] (from element 0), in order of j, so repeated rows receive every contribution.
    /// </summary>
    void IndexAdd(float[] src, int srcOffset, int outer, int size, int inner, long[] indices, float[] dst);

    /// <summary>
    /// torch.gather: for every position p (row-major) of an index of <paramref name="indexShape"/>, dst[p] = the
    /// strided source at p's coordinates with coordinate <paramref name="dim"/> replaced by indices[p].
    /// </summary>
    void Gather(float[] src, int srcOffset, int[] srcStrides, int dim, int[] indexShape, long[] indices, float[] dst);

    /// <summary>
    /// torch.scatter_add_, in place: for every position p (row-major) of the index, adds the strided source read at p's
    /// coordinates into the strided destination at p's coordinates with coordinate <paramref name="dim"/> replaced by
    /// indices[p]. Positions are visited in order, so repeated targets sum in a fixed order.
    /// </summary>
    void ScatterAdd(float[] src, int srcOffset, int[] srcStrides, int dim, int[] indexShape, long[] indices,
        float[] dst, int dstOffset, int[] dstStrides);

    /// <summary>d[i] = condition[i] ? a[i] : b[i] over n contiguous elements (where, masked_fill).</summary>
    void Where(bool[] condition, int conditionOffset, float[] a, int aOffset, float[] b, int bOffset, float[] d, int n);

    /// <summary>
    /// For each of <paramref name="matrices"/> contiguous [rows, cols] matrices, copies x into y keeping the lower
    /// triangle j ≤ i + diagonal (or, when not <paramref name="lower"/>, the upper one j ≥ i + diagonal) and zeroing the rest.
    /// </summary>
    void Triangle(float[] x, int xOffset, float[] y, int matrices, int rows, int cols, int diagonal, bool lower);

    /// <summary>
    /// A dropout mask: for i = 0 .. n−1 in order, one <see cref="Generator.NextFloat"/> draw u, and mask[i] = u &lt; p ?
    /// 0 : 1/(1 − p) (0 everywhere when p = 1). Exactly n draws in that order, so a seed gives the same mask on every
    /// backend and the generator's stream continues the same way after it.
    /// </summary>
    void DropoutMask(Generator generator, float p, float[] mask, int n);
}
