using System.Buffers;
using System.Numerics.Tensors;

namespace Sapling.Backends.Cpu;

/// <summary>
/// RMS normalisation over contiguous rows (Llama's RMSNorm) in one pass per row, saving 1/rms for the backward pass:
/// one kernel where the composed ops took five (square, mean, add, rsqrt, two products) and five intermediates.
/// </summary>
internal static class RmsNormKernel
{
    public static void Forward(float[] x, int xOffset, float[] w, int wOffset, float[] y, float[] rstd, int rows, int n, float eps)
    {
        SoftmaxKernel.RowsParallel(rows, n, (r0, r1) =>
        {
            var weight = w.AsSpan(wOffset, n);
            for (int r = r0; r < r1; r++)
            {
                var xs = x.AsSpan(xOffset + r * n, n);
                var ys = y.AsSpan(r * n, n);
                float inv = 1f / MathF.Sqrt(TensorPrimitives.SumOfSquares(xs) / n + eps);
                rstd[r] = inv;
                TensorPrimitives.Multiply(xs, inv, ys);
                TensorPrimitives.Multiply(ys, weight, ys);
            }
        });
    }

    /// <summary>dx = r·(g − x·r²·mean(g·x)) with g = dy·w; dw = Σ dy·x·r, summed per worker then added up.</summary>
    public static void Backward(float[] x, int xOffset, float[] w, int wOffset, float[] dy, int dyOffset, float[] rstd, float[]? dx, float[]? dw, int rows, int n)
    {
        int parts = (long)rows * n < Elementwise.ParallelThreshold || rows < 2 ? 1 : Math.Min(CpuWorkers.Threads, rows);
        int each = (rows + parts - 1) / parts;
        var partial = dw != null ? new float[parts * n] : null;
        CpuWorkers.For(parts, p =>
        {
            int r0 = p * each, r1 = Math.Min(rows, r0 + each);
            var weight = w.AsSpan(wOffset, n);
            var pw = partial != null ? partial.AsSpan(p * n, n) : default;
            var buffer = ArrayPool<float>.Shared.Rent(n);
            try
            {
                var g = buffer.AsSpan(0, n);
                for (int r = r0; r < r1; r++)
                {
                    var xs = x.AsSpan(xOffset + r * n, n);
                    var gy = dy.AsSpan(dyOffset + r * n, n);
                    float inv = rstd[r];
                    if (!pw.IsEmpty)
                    {
                        TensorPrimitives.Multiply(gy, xs, g);
                        TensorPrimitives.MultiplyAdd(g, inv, pw, pw);
                    }
                    if (dx == null) continue;
                    TensorPrimitives.Multiply(gy, weight, g);
                    float mean = TensorPrimitives.Dot(g, xs) / n;
                    var dxs = dx.AsSpan(r * n, n);
                    // r·g − r³·mean(g·x)·x
                    TensorPrimitives.Multiply(g, inv, dxs);
                    TensorPrimitives.MultiplyAdd(xs, -inv * inv * inv * mean, dxs, dxs);
                }
            }
            finally
            {
                ArrayPool<float>.Shared.Return(buffer);
            }
        });
        if (dw == null) return;
        var total = dw.AsSpan(0, n);
        partial.AsSpan(0, n).CopyTo(total);
        for (int p = 1; p < parts; p++) TensorPrimitives.Add(total, partial.AsSpan(p * n, n), total);
    }
}
