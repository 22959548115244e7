using System.Numerics.Tensors;

namespace Sapling.Backends.Cpu;

/// <summary>Layer normalisation over contiguous rows, saving mean and 1/σ for a single-pass backward.</summary>
internal static class LayerNormKernel
{
    public static void Forward(float[] x, int xOffset, float[]? w, int wOffset, float[]? b, int bOffset, float[] y, float[] mean, float[] rstd, int rows, int n, float eps)
    {
        SoftmaxKernel.RowsParallel(rows, n, (r0, r1) =>
        {
            for (int r = r0; r < r1; r++)
            {
                var xs = x.AsSpan(xOffset + r * n, n);
                var ys = y.AsSpan(r * n, n);
                float mu = TensorPrimitives.Sum(xs) / n;
                TensorPrimitives.Subtract(xs, mu, ys);
                float variance = TensorPrimitives.SumOfSquares(ys) / n;
                float rs = 1f / MathF.Sqrt(variance + eps);
                mean[r] = mu;
                rstd[r] = rs;
                TensorPrimitives.Multiply(ys, rs, ys);
                if (w != null) TensorPrimitives.Multiply(ys, w.AsSpan(wOffset, n), ys);
                if (b != null) TensorPrimitives.Add(ys, b.AsSpan(bOffset, n), ys);
            }
        });
    }

    /// <summary>dx = rstd·(g − mean(g) − x̂·mean(g·x̂)) with g = dy·w; dw = Σ dy·x̂; db = Σ dy.</summary>
    public static void Backward(float[] x, int xOffset, float[]? w, int wOffset, float[] dy, int dyOffset, float[] mean, float[] rstd,
        float[]? dx, float[]? dw, float[]? db, int rows, int n)
    {
        int parts = (long)rows * n < Elementwise.ParallelThreshold || rows < 2 ? 1 : Math.Min(CpuWorkers.Threads, rows);
        int each = (rows + parts - 1) / parts;
        var partialW = dw != null ? new float[parts * n] : null;
        var partialB = db != null ? new float[parts * n] : null;
        CpuWorkers.For(parts, p =>
        {
            int r0 = p * each, r1 = Math.Min(rows, r0 + each);
            Span<float> xhat = n <= 4096 ? stackalloc float[n] : new float[n];
            Span<float> g = n <= 4096 ? stackalloc float[n] : new float[n];
            for (int r = r0; r < r1; r++)
            {
                var xs = x.AsSpan(xOffset + r * n, n);
                var gy = dy.AsSpan(dyOffset + r * n, n);
                TensorPrimitives.Subtract(xs, mean[r], xhat);
                TensorPrimitives.Multiply(xhat, rstd[r], xhat);
                if (partialW != null)
                {
                    var pw = partialW.AsSpan(p * n, n);
                    TensorPrimitives.MultiplyAdd(gy, xhat, pw, pw);
                }
                if (partialB != null)
                {
                    var pb = partialB.AsSpan(p * n, n);
                    TensorPrimitives.Add(pb, gy, pb);
                }
                if (dx == null) continue;
                if (w != null) TensorPrimitives.Multiply(gy, w.AsSpan(wOffset, n), g);
                else gy.CopyTo(g);
                float meanG = TensorPrimitives.Sum(g) / n;
                float meanGX = TensorPrimitives.Dot(g, xhat) / n;
                var ds = dx.AsSpan(r * n, n);
                // ds = rstd * (g - meanG - xhat * meanGX)
                TensorPrimitives.MultiplyAdd(xhat, -meanGX, g, ds);
                TensorPrimitives.Subtract(ds, meanG, ds);
                TensorPrimitives.Multiply(ds, rstd[r], ds);
            }
        });
        if (dw != null) SumParts(partialW!, dw, parts, n);
        if (db != null) SumParts(partialB!, db, parts, n);
    }

    private static void SumParts(float[] partial, float[] into, int parts, int n)
    {
        partial.AsSpan(0, n).CopyTo(into);
        for (int p = 1; p < parts; p++) TensorPrimitives.Add(into.AsSpan(0, n), partial.AsSpan(p * n, n), into.AsSpan(0, n));
    }
}
