namespace Sapling.Backends;

/// <summary>
/// Products with weights read where they are stored (<see cref="StoredMatrix"/>): a model's weights memory-mapped from
/// its file, in bfloat16 or float16 as published, are multiplied without a float32 copy of the matrix; 2-byte elements
/// are widened to float32 inside the kernel. Activations and outputs are float32 arrays.
/// </summary>
public partial interface IKernels
{
    /// <summary>y[m, W.Rows] = x[m, W.Cols]·Wᵀ (+ y when <paramref name="accumulate"/>), x read from <paramref name="xOffset"/>.</summary>
    void LinearStored(float[] x, int xOffset, int m, StoredMatrix w, float[] y, bool accumulate);

    /// <summary>dx[m, W.Cols] = dy[m, W.Rows]·W: the input gradient of <see cref="LinearStored"/>.</summary>
    void MatMulStored(float[] dy, int dyOffset, int m, StoredMatrix w, float[] dx);

    /// <summary>y[i, :] = W[ids[i], :] widened to float32; ids are already checked to lie in [0, W.Rows).</summary>
    void EmbeddingStored(StoredMatrix table, long[] ids, float[] y);
}
