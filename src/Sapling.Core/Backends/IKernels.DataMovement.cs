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
}
