using Sapling.Quantization.Ggml;

namespace Sapling.Backends.Reference;

public sealed partial class ReferenceKernels
{
    /// <inheritdoc/>
    public void LinearStored(float[] x, int xOffset, int m, StoredMatrix w, float[] y, bool accumulate)
    {
        var row = new float[w.Cols];
        for (int j = 0; j < w.Rows; j++)
        {
            Decode(w, j, row);
            for (int i = 0; i < m; i++)
            {
                double s = 0;
                for (int p = 0; p < w.Cols; p++) s += (double)x[xOffset + i * w.Cols + p] * row[p];
                y[i * w.Rows + j] = accumulate ? (float)(y[i * w.Rows + j] + s) : (float)s;
            }
        }
    }

    /// <inheritdoc/>
    public void MatMulStored(float[] dy, int dyOffset, int m, StoredMatrix w, float[] dx)
    {
        var sums = new double[m * w.Cols];
        var row = new float[w.Cols];
        for (int j = 0; j < w.Rows; j++)
        {
            Decode(w, j, row);
            for (int i = 0; i < m; i++)
                for (int p = 0; p < w.Cols; p++) sums[i * w.Cols + p] += (double)dy[dyOffset + i * w.Rows + j] * row[p];
        }
        for (int i = 0; i < sums.Length; i++) dx[i] = (float)sums[i];
    }

    /// <inheritdoc/>
    public void EmbeddingStored(StoredMatrix table, long[] ids, float[] y)
    {
        var row = new float[table.Cols];
        for (int i = 0; i < ids.Length; i++)
        {
            Decode(table, (int)ids[i], row);
            row.CopyTo(y, i * table.Cols);
        }
    }

    /// <summary>Row r of W as float32: element by element, or a block-quantised row dequantised whole (ggml's decoding).</summary>
    private static unsafe void Decode(StoredMatrix w, int r, float[] row)
    {
        if (w.IsBlockQuantized)
        {
            GgmlBlocks.Dequantize(w.DType.ToGgml(), new ReadOnlySpan<byte>(w.RowAddress(r), checked((int)w.RowBytes)), row);
            return;
        }
        for (int p = 0; p < w.Cols; p++) row[p] = w[r, p];
    }
}
