namespace Sapling.Backends.Reference;

// Products over stored weights from the definition: every element widened on its own, sums in double.
public sealed partial class ReferenceKernels
{
    public void LinearStored(float[] x, int xOffset, int m, StoredMatrix w, float[] y, bool accumulate)
    {
        for (int i = 0; i < m; i++)
            for (int j = 0; j < w.Rows; j++)
            {
                double s = 0;
                for (int p = 0; p < w.Cols; p++) s += (double)x[xOffset + i * w.Cols + p] * w[j, p];
                y[i * w.Rows + j] = accumulate ? (float)(y[i * w.Rows + j] + s) : (float)s;
            }
    }

    public void MatMulStored(float[] dy, int dyOffset, int m, StoredMatrix w, float[] dx)
    {
        for (int i = 0; i < m; i++)
            for (int p = 0; p < w.Cols; p++)
            {
                double s = 0;
                for (int j = 0; j < w.Rows; j++) s += (double)dy[dyOffset + i * w.Rows + j] * w[j, p];
                dx[i * w.Cols + p] = (float)s;
            }
    }

    public void EmbeddingStored(StoredMatrix table, long[] ids, float[] y)
    {
        for (int i = 0; i < ids.Length; i++)
            for (int p = 0; p < table.Cols; p++) y[i * table.Cols + p] = table[(int)ids[i], p];
    }
}
