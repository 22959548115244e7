namespace Sapling.Backends.Reference;

/// <summary>
/// The scalar reference backend: every kernel written as the plain loops of its formula, accumulating in double,
/// with no SIMD, no threads and no shortcuts, so that it can be read against the maths and trusted as the oracle
/// for the fast kernels. It is slow; it exists for tests.
/// </summary>
public sealed partial class ReferenceKernels : IKernels
{
    public string Name => "reference";

    public void Gemm(bool transA, bool transB, int m, int n, int k,
        float alpha, float[] a, int aOffset, int lda, float[] b, int bOffset, int ldb, float beta, float[] c, int cOffset, int ldc)
    {
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double s = 0;
                for (int p = 0; p < k; p++)
                {
                    float aip = transA ? a[aOffset + p * lda + i] : a[aOffset + i * lda + p];
                    float bpj = transB ? b[bOffset + j * ldb + p] : b[bOffset + p * ldb + j];
                    s += (double)aip * bpj;
                }
                int at = cOffset + i * ldc + j;
                // As in BLAS, beta = 0 means C is not read, so whatever it held (even NaN) does not leak through.
                c[at] = (float)(beta == 0f ? alpha * s : alpha * s + (double)beta * c[at]);
            }
    }

    public void GemmBatched(bool transA, bool transB, int m, int n, int k,
        float alpha, float[] a, int[] aOffsets, int lda, float[] b, int[] bOffsets, int ldb, float beta, float[] c, int cStride, int ldc)
    {
        for (int i = 0; i < aOffsets.Length; i++)
            Gemm(transA, transB, m, n, k, alpha, a, aOffsets[i], lda, b, bOffsets[i], ldb, beta, c, i * cStride, ldc);
    }

    public void Sum(float[] x, int xOffset, float[] y, int outer, int reduce, int inner)
    {
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
            {
                double s = 0;
                for (int r = 0; r < reduce; r++) s += x[xOffset + (o * reduce + r) * inner + i];
                y[o * inner + i] = (float)s;
            }
    }

    public void ArgExtreme(float[] x, int xOffset, float[] values, long[] indices, int outer, int reduce, int inner, bool max)
    {
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
            {
                float best = float.NaN;
                long at = -1;
                for (int r = 0; r < reduce; r++)
                {
                    float v = x[xOffset + (o * reduce + r) * inner + i];
                    if (float.IsNaN(v))
                    {
                        best = v;
                        at = r;
                        break;
                    }
                    if (at < 0 || (max ? v > best : v < best))
                    {
                        best = v;
                        at = r;
                    }
                }
                values[o * inner + i] = best;
                indices[o * inner + i] = at;
            }
    }
}
