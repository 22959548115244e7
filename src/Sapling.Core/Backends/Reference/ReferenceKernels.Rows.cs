namespace Sapling.Backends.Reference;

/// <summary>Row kernels: softmax, layer normalisation and cross-entropy, one row at a time.</summary>
public sealed partial class ReferenceKernels
{
    public void SoftmaxForward(float[] x, int xOffset, float[] y, int rows, int n, bool log)
    {
        for (int r = 0; r < rows; r++)
        {
            int row = xOffset + r * n;
            double max = double.NegativeInfinity;
            for (int j = 0; j < n; j++) max = Math.Max(max, x[row + j]);
            double sum = 0;
            for (int j = 0; j < n; j++) sum += Math.Exp(x[row + j] - max);
            for (int j = 0; j < n; j++)
                y[r * n + j] = (float)(log ? x[row + j] - max - Math.Log(sum) : Math.Exp(x[row + j] - max) / sum);
        }
    }

    public void CausalSoftmaxForward(float[] x, int xOffset, float[] y, int rows, int n, int queries, int offset)
    {
        for (int r = 0; r < rows; r++)
        {
            int visible = Math.Min(n, offset + r % queries + 1);
            int row = xOffset + r * n;
            double max = double.NegativeInfinity;
            for (int j = 0; j < visible; j++) max = Math.Max(max, x[row + j]);
            double sum = 0;
            for (int j = 0; j < visible; j++) sum += Math.Exp(x[row + j] - max);
            for (int j = 0; j < n; j++) y[r * n + j] = j < visible ? (float)(Math.Exp(x[row + j] - max) / sum) : 0f;
        }
    }

    public void SoftmaxBackward(float[] y, float[] dy, int dyOffset, float[] dx, int rows, int n, bool log)
    {
        for (int r = 0; r < rows; r++)
        {
            int row = r * n, grad = dyOffset + r * n;
            double s = 0;
            // softmax: ∂L/∂x_i = y_i·(g_i − Σ_j g_j·y_j); log-softmax (y = log p): g_i − p_i·Σ_j g_j.
            for (int j = 0; j < n; j++) s += log ? dy[grad + j] : (double)dy[grad + j] * y[row + j];
            for (int j = 0; j < n; j++)
                dx[row + j] = (float)(log ? dy[grad + j] - Math.Exp(y[row + j]) * s : y[row + j] * (dy[grad + j] - s));
        }
    }

    public void LayerNormForward(float[] x, int xOffset, float[]? w, int wOffset, float[]? b, int bOffset,
        float[] y, float[] mean, float[] rstd, int rows, int n, float eps)
    {
        for (int r = 0; r < rows; r++)
        {
            int row = xOffset + r * n;
            double mu = 0;
            for (int j = 0; j < n; j++) mu += x[row + j];
            mu /= n;
            double variance = 0;
            for (int j = 0; j < n; j++) variance += (x[row + j] - mu) * (x[row + j] - mu);
            variance /= n;
            double inv = 1 / Math.Sqrt(variance + eps);
            mean[r] = (float)mu;
            rstd[r] = (float)inv;
            for (int j = 0; j < n; j++)
            {
                double v = (x[row + j] - mu) * inv;
                if (w != null) v *= w[wOffset + j];
                if (b != null) v += b[bOffset + j];
                y[r * n + j] = (float)v;
            }
        }
    }

    public void LayerNormBackward(float[] x, int xOffset, float[]? w, int wOffset, float[] dy, int dyOffset, float[] mean, float[] rstd,
        float[]? dx, float[]? dw, float[]? db, int rows, int n)
    {
        var sumW = new double[n];
        var sumB = new double[n];
        var xhat = new double[n];
        var gxhat = new double[n];
        for (int r = 0; r < rows; r++)
        {
            int row = xOffset + r * n, grad = dyOffset + r * n;
            double sumG = 0, sumGX = 0;
            for (int j = 0; j < n; j++)
            {
                xhat[j] = (x[row + j] - (double)mean[r]) * rstd[r];
                gxhat[j] = w != null ? (double)dy[grad + j] * w[wOffset + j] : dy[grad + j];
                sumW[j] += dy[grad + j] * xhat[j];
                sumB[j] += dy[grad + j];
                sumG += gxhat[j];
                sumGX += gxhat[j] * xhat[j];
            }
            if (dx == null) continue;
            // x̂ = (x − μ)·σ⁻¹ with μ and σ depending on every x of the row:
            // ∂L/∂x_i = σ⁻¹/n · (n·ĝ_i − Σ_j ĝ_j − x̂_i·Σ_j ĝ_j·x̂_j), ĝ = ∂L/∂x̂.
            for (int j = 0; j < n; j++)
                dx[r * n + j] = (float)(rstd[r] / (double)n * (n * gxhat[j] - sumG - xhat[j] * sumGX));
        }
        for (int j = 0; j < n; j++)
        {
            if (dw != null) dw[j] = (float)sumW[j];
            if (db != null) db[j] = (float)sumB[j];
        }
    }

    public int CrossEntropyForward(float[] logits, int offset, long[] targets, float[] losses, float[] lse,
        int rows, int classes, long ignoreIndex, float smoothing)
    {
        int counted = 0;
        for (int r = 0; r < rows; r++)
        {
            int row = offset + r * classes;
            double logSumExp = LogSumExp(logits, row, classes);
            lse[r] = (float)logSumExp;
            if (targets[r] == ignoreIndex)
            {
                losses[r] = 0f;
                continue;
            }
            counted++;
            // −log p_t, and for smoothing the average of −log p_j over all classes.
            double nll = logSumExp - logits[row + targets[r]];
            double meanNll = 0;
            for (int j = 0; j < classes; j++) meanNll += logSumExp - logits[row + j];
            meanNll /= classes;
            losses[r] = (float)((1 - (double)smoothing) * nll + smoothing * meanNll);
        }
        return counted;
    }

    public void CrossEntropyBackward(float[] logits, int offset, long[] targets, float[] lse, float[] rowScale, float[] dx,
        int rows, int classes, long ignoreIndex, float smoothing)
    {
        for (int r = 0; r < rows; r++)
        {
            int row = offset + r * classes;
            if (targets[r] == ignoreIndex)
            {
                for (int j = 0; j < classes; j++) dx[r * classes + j] = 0f;
                continue;
            }
            // The log-sum-exp is recomputed rather than taken from the forward pass, so this backward stands alone.
            double logSumExp = LogSumExp(logits, row, classes);
            for (int j = 0; j < classes; j++)
            {
                double target = (j == targets[r] ? 1 - (double)smoothing : 0) + (double)smoothing / classes;
                dx[r * classes + j] = (float)(rowScale[r] * (Math.Exp(logits[row + j] - logSumExp) - target));
            }
        }
    }

    private static double LogSumExp(float[] x, int start, int n)
    {
        double max = double.NegativeInfinity;
        for (int j = 0; j < n; j++) max = Math.Max(max, x[start + j]);
        double sum = 0;
        for (int j = 0; j < n; j++) sum += Math.Exp(x[start + j] - max);
        return max + Math.Log(sum);
    }
}
