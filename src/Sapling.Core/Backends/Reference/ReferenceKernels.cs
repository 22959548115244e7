using System.Numerics;

namespace Sapling.Backends.Reference;

/// <summary>
/// The scalar reference backend over one floating-point element type: every kernel written as the plain loops of its
/// formula, accumulating in double, with no SIMD, no threads and no shortcuts, so that it can be read against the
/// maths and trusted as the oracle for the fast kernels. It is slow; it exists for tests and, over double, for
/// gradient checks (<see cref="ReferenceKernels.Float64"/>).
/// </summary>
/// <remarks>
/// Every element is read as double and every result rounded once to <typeparamref name="T"/>. Over float that is the
/// float reference the fast kernels are compared with; over double nothing is rounded on the way, so the results are
/// as exact as the double formulas. <see cref="ReferenceKernels"/> is the float instance with the float-only kernels.
/// </remarks>
public partial class ReferenceKernels<T> : IComputeKernels<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <inheritdoc/>
    public virtual string Name => "reference-" + typeof(T).Name.ToLowerInvariant();

    /// <summary>An element read exactly as double (every float and double value is one).</summary>
    private protected static double D(T value) => double.CreateTruncating(value);

    /// <summary>A double result rounded once to the element type (to nearest, as a (float) cast does).</summary>
    private protected static T ToT(double value) => T.CreateTruncating(value);

    /// <inheritdoc/>
    public void Gemm(bool transA, bool transB, int m, int n, int k,
        T alpha, T[] a, int aOffset, int lda, T[] b, int bOffset, int ldb, T beta, T[] c, int cOffset, int ldc)
    {
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double s = 0;
                for (int p = 0; p < k; p++)
                {
                    T aip = transA ? a[aOffset + p * lda + i] : a[aOffset + i * lda + p];
                    T bpj = transB ? b[bOffset + j * ldb + p] : b[bOffset + p * ldb + j];
                    s += D(aip) * D(bpj);
                }
                int at = cOffset + i * ldc + j;
                // As in BLAS, beta = 0 means C is not read, so whatever it held (even NaN) does not leak through.
                c[at] = ToT(beta == T.Zero ? D(alpha) * s : D(alpha) * s + D(beta) * D(c[at]));
            }
    }

    /// <inheritdoc/>
    public void GemmBatched(bool transA, bool transB, int m, int n, int k,
        T alpha, T[] a, int[] aOffsets, int lda, T[] b, int[] bOffsets, int ldb, T beta, T[] c, int cStride, int ldc)
    {
        for (int i = 0; i < aOffsets.Length; i++)
            Gemm(transA, transB, m, n, k, alpha, a, aOffsets[i], lda, b, bOffsets[i], ldb, beta, c, i * cStride, ldc);
    }

    /// <inheritdoc/>
    public void Sum(T[] x, int xOffset, T[] y, int outer, int reduce, int inner)
    {
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
            {
                double s = 0;
                for (int r = 0; r < reduce; r++) s += D(x[xOffset + (o * reduce + r) * inner + i]);
                y[o * inner + i] = ToT(s);
            }
    }

    /// <inheritdoc/>
    public void ArgExtreme(T[] x, int xOffset, T[] values, long[] indices, int outer, int reduce, int inner, bool max)
    {
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
            {
                T best = T.NaN;
                long at = -1;
                for (int r = 0; r < reduce; r++)
                {
                    T v = x[xOffset + (o * reduce + r) * inner + i];
                    if (T.IsNaN(v))
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
