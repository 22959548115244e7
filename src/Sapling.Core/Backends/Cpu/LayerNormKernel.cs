using System.Runtime.Intrinsics;

namespace Sapling.Backends.Cpu;

/// <summary>
/// Layer normalisation over contiguous rows, saving mean and 1/σ for a single-pass backward. Rows are short (the
/// model width), so each pass is a plain Vector256 loop rather than a library call with its own setup cost.
/// </summary>
internal static class LayerNormKernel
{
    public static void Forward(float[] x, int xOffset, float[]? w, int wOffset, float[]? b, int bOffset, float[] y, float[] mean, float[] rstd, int rows, int n, float eps)
    {
        SoftmaxKernel.RowsParallel(rows, n, (r0, r1) =>
        {
            var weight = w != null ? w.AsSpan(wOffset, n) : default;
            var bias = b != null ? b.AsSpan(bOffset, n) : default;
            for (int r = r0; r < r1; r++)
            {
                var xs = x.AsSpan(xOffset + r * n, n);
                var ys = y.AsSpan(r * n, n);
                float mu = Sum(xs) / n;
                float rs = 1f / MathF.Sqrt(SquaredDeviation(xs, mu) / n + eps);
                mean[r] = mu;
                rstd[r] = rs;
                Normalize(xs, mu, rs, weight, bias, ys);
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
            var weight = w != null ? w.AsSpan(wOffset, n) : default;
            var pw = partialW != null ? partialW.AsSpan(p * n, n) : default;
            var pb = partialB != null ? partialB.AsSpan(p * n, n) : default;
            for (int r = r0; r < r1; r++)
            {
                var xs = x.AsSpan(xOffset + r * n, n);
                var gy = dy.AsSpan(dyOffset + r * n, n);
                float mu = mean[r], rs = rstd[r];
                // Pass 1: parameter gradients and the two row means the input gradient needs.
                float sumG = 0f, sumGX = 0f;
                var vmu = Vector256.Create(mu);
                var vrs = Vector256.Create(rs);
                var accG = Vector256<float>.Zero;
                var accGX = Vector256<float>.Zero;
                int i = 0;
                for (; i <= n - 8; i += 8)
                {
                    var xhat = (Vector256.Create(xs.Slice(i, 8)) - vmu) * vrs;
                    var d = Vector256.Create(gy.Slice(i, 8));
                    if (!pw.IsEmpty) (Vector256.Create(pw.Slice(i, 8)) + d * xhat).CopyTo(pw.Slice(i, 8));
                    if (!pb.IsEmpty) (Vector256.Create(pb.Slice(i, 8)) + d).CopyTo(pb.Slice(i, 8));
                    var g = weight.IsEmpty ? d : d * Vector256.Create(weight.Slice(i, 8));
                    accG += g;
                    accGX += g * xhat;
                }
                sumG = Vector256.Sum(accG);
                sumGX = Vector256.Sum(accGX);
                for (; i < n; i++)
                {
                    float xhat = (xs[i] - mu) * rs;
                    if (!pw.IsEmpty) pw[i] += gy[i] * xhat;
                    if (!pb.IsEmpty) pb[i] += gy[i];
                    float g = weight.IsEmpty ? gy[i] : gy[i] * weight[i];
                    sumG += g;
                    sumGX += g * xhat;
                }
                if (dx == null) continue;
                // Pass 2: the input gradient.
                float meanG = sumG / n, meanGX = sumGX / n;
                var ds = dx.AsSpan(r * n, n);
                var vmeanG = Vector256.Create(meanG);
                var vmeanGX = Vector256.Create(meanGX);
                for (i = 0; i <= n - 8; i += 8)
                {
                    var xhat = (Vector256.Create(xs.Slice(i, 8)) - vmu) * vrs;
                    var d = Vector256.Create(gy.Slice(i, 8));
                    var g = weight.IsEmpty ? d : d * Vector256.Create(weight.Slice(i, 8));
                    (vrs * (g - vmeanG - xhat * vmeanGX)).CopyTo(ds.Slice(i, 8));
                }
                for (; i < n; i++)
                {
                    float xhat = (xs[i] - mu) * rs;
                    float g = weight.IsEmpty ? gy[i] : gy[i] * weight[i];
                    ds[i] = rs * (g - meanG - xhat * meanGX);
                }
            }
        });
        if (dw != null) SumParts(partialW!, dw, parts, n);
        if (db != null) SumParts(partialB!, db, parts, n);
    }

    private static float Sum(ReadOnlySpan<float> x)
    {
        var acc = Vector256<float>.Zero;
        int i = 0;
        for (; i <= x.Length - 8; i += 8) acc += Vector256.Create(x.Slice(i, 8));
        float s = Vector256.Sum(acc);
        for (; i < x.Length; i++) s += x[i];
        return s;
    }

    private static float SquaredDeviation(ReadOnlySpan<float> x, float mu)
    {
        var acc = Vector256<float>.Zero;
        var vmu = Vector256.Create(mu);
        int i = 0;
        for (; i <= x.Length - 8; i += 8)
        {
            var d = Vector256.Create(x.Slice(i, 8)) - vmu;
            acc += d * d;
        }
        float s = Vector256.Sum(acc);
        for (; i < x.Length; i++) s += (x[i] - mu) * (x[i] - mu);
        return s;
    }

    private static void Normalize(ReadOnlySpan<float> x, float mu, float rs, ReadOnlySpan<float> w, ReadOnlySpan<float> b, Span<float> y)
    {
        var vmu = Vector256.Create(mu);
        var vrs = Vector256.Create(rs);
        int i = 0;
        for (; i <= x.Length - 8; i += 8)
        {
            var v = (Vector256.Create(x.Slice(i, 8)) - vmu) * vrs;
            if (!w.IsEmpty) v *= Vector256.Create(w.Slice(i, 8));
            if (!b.IsEmpty) v += Vector256.Create(b.Slice(i, 8));
            v.CopyTo(y.Slice(i, 8));
        }
        for (; i < x.Length; i++)
        {
            float v = (x[i] - mu) * rs;
            if (!w.IsEmpty) v *= w[i];
            if (!b.IsEmpty) v += b[i];
            y[i] = v;
        }
    }

    private static void SumParts(float[] partial, float[] into, int parts, int n)
    {
        partial.AsSpan(0, n).CopyTo(into);
        for (int p = 1; p < parts; p++) System.Numerics.Tensors.TensorPrimitives.Add(into.AsSpan(0, n), partial.AsSpan(p * n, n), into.AsSpan(0, n));
    }
}
