using System.Runtime.CompilerServices;
using Sapling.Backends.Cpu.Simd;

namespace Sapling.Backends.Cpu;

/// <summary>
/// Layer normalisation over contiguous rows, saving mean and 1/σ for a single-pass backward. Rows are short (the
/// model width), so each pass is a plain register loop (512-bit blocks where available, then 256-bit) rather than a library call with its own setup cost.
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
                int i = SimdWidth.Use512 ? GradientSumBlocks<Float512>(xs, gy, weight, pw, pb, mu, rs, 0, ref sumG, ref sumGX) : 0;
                i = GradientSumBlocks<Float256>(xs, gy, weight, pw, pb, mu, rs, i, ref sumG, ref sumGX);
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
                i = SimdWidth.Use512 ? InputGradientBlocks<Float512>(xs, gy, weight, ds, mu, rs, meanG, meanGX, 0) : 0;
                i = InputGradientBlocks<Float256>(xs, gy, weight, ds, mu, rs, meanG, meanGX, i);
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
        float s = 0f;
        int i = SimdWidth.Use512 ? SumBlocks<Float512>(x, 0, ref s) : 0;
        i = SumBlocks<Float256>(x, i, ref s);
        for (; i < x.Length; i++) s += x[i];
        return s;
    }

    private static float SquaredDeviation(ReadOnlySpan<float> x, float mu)
    {
        float s = 0f;
        int i = SimdWidth.Use512 ? SquaredDeviationBlocks<Float512>(x, mu, 0, ref s) : 0;
        i = SquaredDeviationBlocks<Float256>(x, mu, i, ref s);
        for (; i < x.Length; i++) s += (x[i] - mu) * (x[i] - mu);
        return s;
    }

    private static void Normalize(ReadOnlySpan<float> x, float mu, float rs, ReadOnlySpan<float> w, ReadOnlySpan<float> b, Span<float> y)
    {
        int i = SimdWidth.Use512 ? NormalizeBlocks<Float512>(x, mu, rs, w, b, y, 0) : 0;
        i = NormalizeBlocks<Float256>(x, mu, rs, w, b, y, i);
        for (; i < x.Length; i++)
        {
            float v = (x[i] - mu) * rs;
            if (!w.IsEmpty) v *= w[i];
            if (!b.IsEmpty) v += b[i];
            y[i] = v;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int SumBlocks<V>(ReadOnlySpan<float> x, int i, ref float s) where V : struct, IFloatVector<V>
    {
        if (i > x.Length - V.Count) return i;
        var acc = V.Zero;
        for (; i <= x.Length - V.Count; i += V.Count) acc += V.Load(x[i..]);
        s += V.Sum(acc);
        return i;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int SquaredDeviationBlocks<V>(ReadOnlySpan<float> x, float mu, int i, ref float s) where V : struct, IFloatVector<V>
    {
        if (i > x.Length - V.Count) return i;
        var acc = V.Zero;
        var vmu = V.Create(mu);
        for (; i <= x.Length - V.Count; i += V.Count)
        {
            var d = V.Load(x[i..]) - vmu;
            acc += d * d;
        }
        s += V.Sum(acc);
        return i;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int NormalizeBlocks<V>(ReadOnlySpan<float> x, float mu, float rs, ReadOnlySpan<float> w, ReadOnlySpan<float> b, Span<float> y, int i) where V : struct, IFloatVector<V>
    {
        var vmu = V.Create(mu);
        var vrs = V.Create(rs);
        for (; i <= x.Length - V.Count; i += V.Count)
        {
            var v = (V.Load(x[i..]) - vmu) * vrs;
            if (!w.IsEmpty) v *= V.Load(w[i..]);
            if (!b.IsEmpty) v += V.Load(b[i..]);
            V.Store(v, y[i..]);
        }
        return i;
    }

    /// <summary>Backward pass 1 over whole registers: dw += dy·x̂, db += dy, and the sums of g = dy·w and g·x̂.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int GradientSumBlocks<V>(ReadOnlySpan<float> xs, ReadOnlySpan<float> gy, ReadOnlySpan<float> weight, Span<float> pw, Span<float> pb,
        float mu, float rs, int i, ref float sumG, ref float sumGX) where V : struct, IFloatVector<V>
    {
        if (i > xs.Length - V.Count) return i;
        var vmu = V.Create(mu);
        var vrs = V.Create(rs);
        var accG = V.Zero;
        var accGX = V.Zero;
        for (; i <= xs.Length - V.Count; i += V.Count)
        {
            var xhat = (V.Load(xs[i..]) - vmu) * vrs;
            var d = V.Load(gy[i..]);
            if (!pw.IsEmpty) V.Store(V.Load(pw[i..]) + d * xhat, pw[i..]);
            if (!pb.IsEmpty) V.Store(V.Load(pb[i..]) + d, pb[i..]);
            var g = weight.IsEmpty ? d : d * V.Load(weight[i..]);
            accG += g;
            accGX += g * xhat;
        }
        sumG += V.Sum(accG);
        sumGX += V.Sum(accGX);
        return i;
    }

    /// <summary>Backward pass 2 over whole registers: dx = rstd·(g − mean(g) − x̂·mean(g·x̂)).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int InputGradientBlocks<V>(ReadOnlySpan<float> xs, ReadOnlySpan<float> gy, ReadOnlySpan<float> weight, Span<float> ds,
        float mu, float rs, float meanG, float meanGX, int i) where V : struct, IFloatVector<V>
    {
        var vmu = V.Create(mu);
        var vrs = V.Create(rs);
        var vmeanG = V.Create(meanG);
        var vmeanGX = V.Create(meanGX);
        for (; i <= xs.Length - V.Count; i += V.Count)
        {
            var xhat = (V.Load(xs[i..]) - vmu) * vrs;
            var d = V.Load(gy[i..]);
            var g = weight.IsEmpty ? d : d * V.Load(weight[i..]);
            V.Store(vrs * (g - vmeanG - xhat * vmeanGX), ds[i..]);
        }
        return i;
    }

    private static void SumParts(float[] partial, float[] into, int parts, int n)
    {
        partial.AsSpan(0, n).CopyTo(into);
        for (int p = 1; p < parts; p++) System.Numerics.Tensors.TensorPrimitives.Add(into.AsSpan(0, n), partial.AsSpan(p * n, n), into.AsSpan(0, n));
    }
}
