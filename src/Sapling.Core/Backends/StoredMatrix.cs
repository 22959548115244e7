using Sapling.Quantization.Ggml;
namespace Sapling.Backends;

/// <summary>
/// A weight matrix W [rows, cols] as a kernel reads it where it is stored (managed, native or memory-mapped), in its
/// stored dtype (float32, bfloat16 or float16): element (r, c) is at <see cref="Data"/> + r·RowStride + c·ColStride
/// elements, with one of the two strides 1. A row-major W is a Linear weight [out, in]; a column-major one is GPT-2's
/// Conv1D weight [in, out] seen as [out, in]. ggml's block-quantised types (Q8_0, Q4_K, ...) are row-major with rows of
/// whole blocks; their rows are read with <see cref="RowAddress"/>. The pointer is valid only for the duration of one
/// kernel call.
/// </summary>
public readonly unsafe struct StoredMatrix
{
    /// <summary>
    /// Describes the matrix at <paramref name="data"/>; strides are in elements. Refuses dtypes that are not read in
    /// place, layouts where neither stride is 1, and block types that are not row-major with rows of whole blocks.
    /// </summary>
    public StoredMatrix(void* data, DType dtype, int rows, int cols, long rowStride, long colStride)
    {
        if (dtype is not (DType.Float32 or DType.BFloat16 or DType.Float16) && !dtype.IsBlockQuantized())
            throw new ArgumentException($"stored matrix: {dtype.Name()} weights are not read in place; use float32, bfloat16, float16 or a ggml block type");
        if (colStride != 1 && rowStride != 1)
            throw new ArgumentException($"stored matrix: one stride must be 1, got row stride {rowStride} and column stride {colStride}");
        if (dtype.IsBlockQuantized())
        {
            int block = dtype.ToGgml().BlockSize();
            if (colStride != 1 || cols % block != 0 || rowStride % block != 0)
                throw new ArgumentException($"stored matrix: a {dtype.Name()} weight must be row-major with rows of whole {block}-element blocks, got {rows}x{cols} with row stride {rowStride}");
        }
        (Data, DType, Rows, Cols, RowStride, ColStride) = ((nint)data, dtype, rows, cols, rowStride, colStride);
        // Row addresses are taken for every row of every product: the division by the block size is done once here.
        rowStrideBytes = colStride == 1 ? dtype.StorageBytes(rowStride) : 0;
    }

    private readonly long rowStrideBytes;

    /// <summary>Address of element (0, 0).</summary>
    public nint Data { get; }
    /// <summary>The stored element type.</summary>
    public DType DType { get; }
    /// <summary>Number of rows (a Linear weight's output features).</summary>
    public int Rows { get; }
    /// <summary>Number of columns (a Linear weight's input features).</summary>
    public int Cols { get; }
    /// <summary>Elements between (r, c) and (r + 1, c).</summary>
    public long RowStride { get; }
    /// <summary>Elements between (r, c) and (r, c + 1).</summary>
    public long ColStride { get; }

    /// <summary>Rows are contiguous (ColStride is 1).</summary>
    public bool RowMajor => ColStride == 1;

    /// <summary>The distance between consecutive rows (row-major) or columns (column-major): BLAS's leading dimension.</summary>
    public long LeadingDimension => RowMajor ? RowStride : ColStride;

    /// <summary>True for ggml's block-quantised types.</summary>
    public bool IsBlockQuantized => DType.IsBlockQuantized();

    /// <summary>The first byte of row <paramref name="r"/> of a row-major matrix (any dtype, block types included).</summary>
    public byte* RowAddress(int r) => (byte*)Data + r * rowStrideBytes;

    /// <summary>Bytes of one row of a row-major matrix.</summary>
    public long RowBytes => DType.StorageBytes(Cols);

    /// <summary>Element (r, c) as float32 (for reference kernels and tails; not for block types, whose rows are decoded whole).</summary>
    public float this[int r, int c]
    {
        get
        {
            long at = r * RowStride + c * ColStride;
            return DType switch
            {
                DType.Float32 => ((float*)Data)[at],
                DType.BFloat16 => Memory.BFloat16.ToSingle(((ushort*)Data)[at]),
                DType.Float16 => (float)((Half*)Data)[at],
                _ => throw new NotSupportedException($"stored matrix: {DType.Name()} elements are decoded a row at a time"),
            };
        }
    }
}
