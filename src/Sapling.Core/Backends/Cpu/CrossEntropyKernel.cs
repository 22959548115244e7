using System.Numerics.Tensors;

namespace Sapling.Backends.Cpu;

/// <summary>
/// Cross-entropy from logits in one pass per row (log-sum-exp, target logit, mean logit for label smoothing), and its
/// gradient softmax − target distribution written directly, without materialising log-probabilities.
/// </summary>
internal static class CrossEntropyKernel
{
    /// <summary>Per-row losses; ignored rows get 0. Returns the number of rows that count.</summary>
    public static int Forward(float[] logits, int offset, long[] targets, float[] losses, float[] lse, int rows, int classes, long ignoreIndex, float smoothing)
    {
        int counted = 0;
        for (int r = 0; r < rows; r++) if (targets[r] != ignoreIndex) counted++;
        SoftmaxKernel.RowsParallel(rows, classes, (r0, r1) =>
        {
            for (int r = r0; r < r1; r++)
            {
                var xs = logits.AsSpan(offset + r * classes, classes);
                float max = RowMath.Max(xs);
                float logSum = MathF.Log(FastMath.SumExp(xs, max)) + max;
                lse[r] = logSum;
                long t = targets[r];
                if (t == ignoreIndex)
                {
                    losses[r] = 0f;
                    continue;
                }
                float nll = logSum - xs[(int)t];
                if (smoothing > 0f)
                {
                    float smooth = logSum - TensorPrimitives.Sum(xs) / classes;
                    losses[r] = (1f - smoothing) * nll + smoothing * smooth;
                }
                else
                {
                    losses[r] = nll;
                }
            }
        });
        return counted;
    }

    /// <summary>d logits = scale_r · (softmax − (1−ε)·onehot − ε/C) where scale_r is the upstream gradient of row r's loss.</summary>
    public static void Backward(float[] logits, int offset, long[] targets, float[] lse, float[] rowScale, float[] dx, int rows, int classes, long ignoreIndex, float smoothing)
    {
        SoftmaxKernel.RowsParallel(rows, classes, (r0, r1) =>
        {
            for (int r = r0; r < r1; r++)
            {
                var ds = dx.AsSpan(r * classes, classes);
                long t = targets[r];
                if (t == ignoreIndex || rowScale[r] == 0f)
                {
                    ds.Clear();
                    continue;
                }
                var xs = logits.AsSpan(offset + r * classes, classes);
                TensorPrimitives.Subtract(xs, lse[r], ds);
                FastMath.Exp(ds, ds);
                if (smoothing > 0f) TensorPrimitives.Subtract(ds, smoothing / classes, ds);
                ds[(int)t] -= 1f - smoothing;
                TensorPrimitives.Multiply(ds, rowScale[r], ds);
            }
        });
    }
}
