namespace Sapling.Backends.Cpu;

// Products over weights in their stored dtype and memory (see StoredWeightKernels).
public sealed partial class CpuKernels
{
    /// <inheritdoc/>
    public unsafe void LinearStored(float[] x, int xOffset, int m, StoredMatrix w, float[] y, bool accumulate)
    {
        fixed (float* px = x, py = y) StoredWeightKernels.Linear(px + xOffset, m, w, py, accumulate);
    }

    /// <inheritdoc/>
    public unsafe void MatMulStored(float[] dy, int dyOffset, int m, StoredMatrix w, float[] dx)
    {
        fixed (float* pdy = dy, pdx = dx) StoredWeightKernels.MatMul(pdy + dyOffset, m, w, pdx);
    }

    /// <inheritdoc/>
    public unsafe void EmbeddingStored(StoredMatrix table, long[] ids, float[] y)
    {
        fixed (float* py = y) StoredWeightKernels.Embedding(table, ids, py);
    }
}
