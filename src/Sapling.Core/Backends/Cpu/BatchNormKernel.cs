using System.Buffers;
using System.Numerics.Tensors;

namespace Sapling.Backends.Cpu;

/// <summary>
/// Batch normalisation over [n, c, hw] in float32: statistics, the folded per-channel affine, and the backward, each
/// channel's n planes of hw values walked with TensorPrimitives, channels spread over the workers. Sums over planes are
/// accumulated in double, so a batch of 32 ImageNet-sized planes loses nothing to float rounding.
/// </summary>
internal static class BatchNormKernel
{
    public static void Moments(float[] x, int xOffset, int n, int c, int hw, float[] mean, float[] variance)
    {
        CpuWorkers.For(c, ch =>
        {
            double sum = 0;
            for (int b = 0; b < n; b++) sum += TensorPrimitives.Sum(x.AsSpan(xOffset + (b * c + ch) * hw, hw));
            double m = n * hw == 0 ? 0 : sum / ((double)n * hw);
            var deviation = ArrayPool<float>.Shared.Rent(hw);
            double squares = 0;
            for (int b = 0; b < n; b++)
            {
                var d = deviation.AsSpan(0, hw);
                TensorPrimitives.Subtract(x.AsSpan(xOffset + (b * c + ch) * hw, hw), (float)m, d);
                squares += TensorPrimitives.SumOfSquares(d);
            }
            ArrayPool<float>.Shared.Return(deviation);
            mean[ch] = (float)m;
            variance[ch] = n * hw == 0 ? 0 : (float)(squares / ((double)n * hw));
        });
    }

    public static void Affine(float[] x, int xOffset, float[] scale, float[] shift, float[] y, int n, int c, int hw)
    {
        CpuWorkers.For(n * c, plane =>
        {
            int ch = plane % c;
            var target = y.AsSpan(plane * hw, hw);
            // Two passes over one plane, the second from cache.
            TensorPrimitives.Multiply(x.AsSpan(xOffset + plane * hw, hw), scale[ch], target);
            TensorPrimitives.Add(target, shift[ch], target);
        });
    }

    public static void Backward(float[] x, int xOffset, float[] dy, int dyOffset, float[] mean, float[] rstd, float[]? gamma, float[]? dx,
        float[] sumDy, float[] sumDyXhat, int n, int c, int hw, bool batchStatistics)
    {
        CpuWorkers.For(c, ch =>
        {
            double sd = 0, sdx = 0;
            for (int b = 0; b < n; b++)
            {
                var g = dy.AsSpan(dyOffset + (b * c + ch) * hw, hw);
                sd += TensorPrimitives.Sum(g);
                sdx += TensorPrimitives.Dot(g, x.AsSpan(xOffset + (b * c + ch) * hw, hw));
            }
            double mu = mean[ch], r = rstd[ch];
            // Σdy·(x − μ)·r, from Σdy·x and Σdy.
            double sxhat = (sdx - mu * sd) * r;
            sumDy[ch] = (float)sd;
            sumDyXhat[ch] = (float)sxhat;
            if (dx == null) return;
            double gr = (gamma == null ? 1.0 : gamma[ch]) * r;
            double m = (double)n * hw;
            // dx = a·dy + k·x + d: with batch statistics k = −γ·r²·Σdy·x̂/M and d = −γ·r·Σdy/M − k·μ; with fixed ones only a = γ·r.
            float a = (float)gr;
            float k = batchStatistics ? (float)(-gr * r * sxhat / m) : 0f;
            float d = batchStatistics ? (float)(-gr * sd / m - k * mu) : 0f;
            for (int b = 0; b < n; b++)
            {
                int at = (b * c + ch) * hw;
                var target = dx.AsSpan(at, hw);
                TensorPrimitives.Multiply(dy.AsSpan(dyOffset + at, hw), a, target);
                if (!batchStatistics) continue;
                TensorPrimitives.MultiplyAdd(x.AsSpan(xOffset + at, hw), k, target, target);
                TensorPrimitives.Add(target, d, target);
            }
        });
    }
}
