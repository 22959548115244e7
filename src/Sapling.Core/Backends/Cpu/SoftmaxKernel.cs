using System.Numerics.Tensors;

namespace Sapling.Backends.Cpu;

/// <summary>Row-wise softmax and log-softmax over contiguous rows: forward in two passes, backward in one.</summary>
internal static class SoftmaxKernel
{
    public static void Forward(float[] x, int xOffset, float[] y, int rows, int n, bool log)
    {
        RowsParallel(rows, n, (r0, r1) =>
        {
            for (int r = r0; r < r1; r++)
            {
                var xs = x.AsSpan(xOffset + r * n, n);
                var ys = y.AsSpan(r * n, n);
                float max = RowMath.Max(xs);
                if (float.IsNegativeInfinity(max)) max = 0f;
                if (log)
                {
                    float logSum = MathF.Log(FastMath.SumExp(xs, max)) + max;
                    TensorPrimitives.Subtract(xs, logSum, ys);
                }
                else
                {
                    float sum = FastMath.ExpShiftedAndSum(xs, max, ys);
                    RowMath.Scale(ys, 1f / sum);
                }
            }
        });
    }

    /// <summary>Softmax of each row's first min(n, offset + q + 1) entries (q = row mod queries), zeros after them.</summary>
    public static void CausalForward(float[] x, int xOffset, float[] y, int rows, int n, int queries, int offset)
    {
        RowsParallel(rows, n, (r0, r1) =>
        {
            for (int r = r0; r < r1; r++)
            {
                int visible = Math.Min(n, offset + r % queries + 1);
                var xs = x.AsSpan(xOffset + r * n, visible);
                var ys = y.AsSpan(r * n, n);
                float max = RowMath.Max(xs);
                if (float.IsNegativeInfinity(max)) max = 0f;
                float sum = FastMath.ExpShiftedAndSum(xs, max, ys[..visible]);
                RowMath.Scale(ys[..visible], 1f / sum);
                ys[visible..].Clear();
            }
        });
    }

    /// <summary>softmax: dx = y ⊙ (dy − Σ dy⊙y); log-softmax: dx = dy − exp(y) Σ dy.</summary>
    public static void Backward(float[] y, float[] dy, int dyOffset, float[] dx, int rows, int n, bool log)
    {
        RowsParallel(rows, n, (r0, r1) =>
        {
            for (int r = r0; r < r1; r++)
            {
                var ys = y.AsSpan(r * n, n);
                var gs = dy.AsSpan(dyOffset + r * n, n);
                var ds = dx.AsSpan(r * n, n);
                if (log)
                {
                    float sum = TensorPrimitives.Sum(gs);
                    FastMath.Exp(ys, ds);
                    TensorPrimitives.MultiplyAdd(ds, -sum, gs, ds);
                }
                else
                {
                    RowMath.ScaledDifference(ys, gs, RowMath.Dot(gs, ys), ds);
                }
            }
        });
    }

    /// <summary>
    /// Splits rows across workers when the total work (rows × n per row) is large enough. n is a long: attention's
    /// t·s·d per head passes 2³¹ at long contexts, and an int product wrapped negative ran everything on one thread.
    /// </summary>
    internal static void RowsParallel(int rows, long n, Action<int, int> body)
    {
        long work = (long)rows * n;
        int parts = work < Elementwise.ParallelThreshold || rows < 2 ? 1 : Math.Min(CpuWorkers.Threads, rows);
        if (parts <= 1)
        {
            body(0, rows);
            return;
        }
        int each = (rows + parts - 1) / parts;
        CpuWorkers.For(parts, p =>
        {
            int r0 = p * each;
            int r1 = Math.Min(rows, r0 + each);
            if (r0 < r1) body(r0, r1);
        });
    }
}
