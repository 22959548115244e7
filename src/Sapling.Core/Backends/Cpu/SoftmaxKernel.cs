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
                float max = TensorPrimitives.Max(xs);
                if (float.IsNegativeInfinity(max)) max = 0f;
                TensorPrimitives.Subtract(xs, max, ys);
                if (log)
                {
                    // log-softmax keeps x - max and subtracts log(sum(exp)); exp goes to a stack buffer in chunks.
                    float sum = SumExp(ys);
                    TensorPrimitives.Subtract(ys, MathF.Log(sum), ys);
                }
                else
                {
                    TensorPrimitives.Exp(ys, ys);
                    float sum = TensorPrimitives.Sum(ys);
                    TensorPrimitives.Multiply(ys, 1f / sum, ys);
                }
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
                    TensorPrimitives.Exp(ys, ds);
                    TensorPrimitives.MultiplyAdd(ds, -sum, gs, ds);
                }
                else
                {
                    float dot = TensorPrimitives.Dot(gs, ys);
                    TensorPrimitives.Subtract(gs, dot, ds);
                    TensorPrimitives.Multiply(ds, ys, ds);
                }
            }
        });
    }

    internal static float SumExp(ReadOnlySpan<float> shifted)
    {
        Span<float> buffer = stackalloc float[256];
        float sum = 0f;
        for (int i = 0; i < shifted.Length; i += buffer.Length)
        {
            int len = Math.Min(buffer.Length, shifted.Length - i);
            var chunk = buffer.Slice(0, len);
            TensorPrimitives.Exp(shifted.Slice(i, len), chunk);
            sum += TensorPrimitives.Sum(chunk);
        }
        return sum;
    }

    /// <summary>Splits rows across workers when the total work is large enough.</summary>
    internal static void RowsParallel(int rows, int n, Action<int, int> body)
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
