namespace Sapling.Backends.Cpu;

// The int8 kernels: Int8Gemm on the best instruction set this CPU has.
public sealed partial class CpuKernels
{
    /// <inheritdoc/>
    public void QuantizeRowsInt8(float[] x, int xOffset, int rows, int n, sbyte[] q, float[] scales)
    {
        for (int r = 0; r < rows; r++)
            scales[r] = Int8Gemm.QuantizeRow(x.AsSpan(xOffset + r * n, n), q.AsSpan(r * n, n));
    }

    /// <inheritdoc/>
    public void Int8Linear(float[] x, int xOffset, int m, Int8PackedMatrix w, float[]? bias, int biasOffset, float[] y)
        => Int8Gemm.Linear(x, xOffset, m, w, bias, biasOffset, y, 0);

    /// <inheritdoc/>
    public void Int8Conv2d(float[] x, int xOffset, Conv2dGeometry g, Int8PackedMatrix w, float[]? bias, int biasOffset, float[] y)
        => Int8Gemm.Conv2d(x, xOffset, g, w, bias, biasOffset, y, 0);

    /// <inheritdoc/>
    public void Int8Embedding(Int8PackedMatrix table, long[] ids, float[] y)
    {
        for (int i = 0; i < ids.Length; i++) table.DequantizeRow((int)ids[i], y.AsSpan(i * table.K, table.K));
    }
}
