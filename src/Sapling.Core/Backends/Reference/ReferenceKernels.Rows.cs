namespace Sapling.Backends.Reference;

/// <summary>Row kernels: softmax, layer normalisation and cross-entropy, one row at a time.</summary>
public partial class ReferenceKernels<T>
{
    /// <inheritdoc/>
    public void SoftmaxForward(T[] x, int xOffset, T[] y, int rows, int n, bool log)
    {
        for (int r = 0; r < rows; r++)
        {
            int row = xOffset + r * n;
            double max = double.NegativeInfinity;
            for (int j = 0; j < n; j++) max = Math.Max(max, D(x[row + j]));
            double sum = 0;
            for (int j = 0; j < n; j++) sum += Math.Exp(D(x[row + j]) - max);
            for (int j = 0; j < n; j++)
                y[r * n + j] = ToT(log ? D(x[row + j]) - max - Math.Log(sum) : Math.Exp(D(x[row + j]) - max) / sum);
        }
    }

    /// <inheritdoc/>
    public void CausalSoftmaxForward(T[] x, int xOffset, T[] y, int rows, int n, int queries, int offset)
    {
        for (int r = 0; r < rows; r++)
        {
            int visible = Math.Min(n, offset + r % queries + 1);
            int row = xOffset + r * n;
            double max = double.NegativeInfinity;
            for (int j = 0; j < visible; j++) max = Math.Max(max, D(x[row + j]));
            double sum = 0;
            for (int j = 0; j < visible; j++) sum += Math.Exp(D(x[row + j]) - max);
            for (int j = 0; j < n; j++) y[r * n + j] = j < visible ? ToT(Math.Exp(D(x[row + j]) - max) / sum) : T.Zero;
        }
    }

    /// <inheritdoc/>
    public void SoftmaxBackward(T[] y, T[] dy, int dyOffset, T[] dx, int rows, int n, bool log)
    {
        for (int r = 0; r < rows; r++)
        {
            int row = r * n, grad = dyOffset + r * n;
            double s = 0;
            // softmax: ∂L/∂x_i = y_i·(g_i − Σ_j g_j·y_j); log-softmax (y = log p): g_i − p_i·Σ_j g_j.
            for (int j = 0; j < n; j++) s += log ? D(dy[grad + j]) : D(dy[grad + j]) * D(y[row + j]);
            for (int j = 0; j < n; j++)
                dx[row + j] = ToT(log ? D(dy[grad + j]) - Math.Exp(D(y[row + j])) * s : D(y[row + j]) * (D(dy[grad + j]) - s));
        }
    }

    /// <inheritdoc/>
    public void RmsNormForward(T[] x, int xOffset, T[] w, int wOffset, T[] y, T[] rstd, int rows, int n, T eps)
    {
        for (int r = 0; r < rows; r++)
        {
            int row = xOffset + r * n;
            double squares = 0;
            for (int j = 0; j < n; j++) squares += D(x[row + j]) * D(x[row + j]);
            double inv = 1 / Math.Sqrt(squares / n + D(eps));
            rstd[r] = ToT(inv);
            for (int j = 0; j < n; j++) y[r * n + j] = ToT(D(x[row + j]) * inv * D(w[wOffset + j]));
        }
    }

    /// <inheritdoc/>
    public void RmsNormBackward(T[] x, int xOffset, T[] w, int wOffset, T[] dy, int dyOffset, T[] rstd, T[]? dx, T[]? dw, int rows, int n)
    {
        var sumW = new double[n];
        for (int r = 0; r < rows; r++)
        {
            int row = xOffset + r * n, grad = dyOffset + r * n;
            double inv = D(rstd[r]), gx = 0;
            for (int j = 0; j < n; j++)
            {
                gx += D(dy[grad + j]) * D(w[wOffset + j]) * D(x[row + j]);
                sumW[j] += D(dy[grad + j]) * D(x[row + j]) * inv;
            }
            if (dx == null) continue;
            double mean = gx / n;
            for (int j = 0; j < n; j++)
                dx[r * n + j] = ToT(inv * (D(dy[grad + j]) * D(w[wOffset + j]) - D(x[row + j]) * inv * inv * mean));
        }
        if (dw != null)
            for (int j = 0; j < n; j++) dw[j] = ToT(sumW[j]);
    }

    /// <inheritdoc/>
    public void LayerNormForward(T[] x, int xOffset, T[]? w, int wOffset, T[]? b, int bOffset,
        T[] y, T[] mean, T[] rstd, int rows, int n, T eps)
    {
        for (int r = 0; r < rows; r++)
        {
            int row = xOffset + r * n;
            double mu = 0;
            for (int j = 0; j < n; j++) mu += D(x[row + j]);
            mu /= n;
            double variance = 0;
            for (int j = 0; j < n; j++) variance += (D(x[row + j]) - mu) * (D(x[row + j]) - mu);
            variance /= n;
            double inv = 1 / Math.Sqrt(variance + D(eps));
            mean[r] = ToT(mu);
            rstd[r] = ToT(inv);
            for (int j = 0; j < n; j++)
            {
                double v = (D(x[row + j]) - mu) * inv;
                if (w != null) v *= D(w[wOffset + j]);
                if (b != null) v += D(b[bOffset + j]);
                y[r * n + j] = ToT(v);
            }
        }
    }

    /// <inheritdoc/>
    public void LayerNormBackward(T[] x, int xOffset, T[]? w, int wOffset, T[] dy, int dyOffset, T[] mean, T[] rstd,
        T[]? dx, T[]? dw, T[]? db, int rows, int n)
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
                double g = D(dy[grad + j]);
                xhat[j] = (D(x[row + j]) - D(mean[r])) * D(rstd[r]);
                gxhat[j] = w != null ? g * D(w[wOffset + j]) : g;
                sumW[j] += g * xhat[j];
                sumB[j] += g;
                sumG += gxhat[j];
                sumGX += gxhat[j] * xhat[j];
            }
            if (dx == null) continue;
            // x̂ = (x − μ)·σ⁻¹ with μ and σ depending on every x of the row:
            // ∂L/∂x_i = σ⁻¹/n · (n·ĝ_i − Σ_j ĝ_j − x̂_i·Σ_j ĝ_j·x̂_j), ĝ = ∂L/∂x̂.
            for (int j = 0; j < n; j++)
                dx[r * n + j] = ToT(D(rstd[r]) / n * (n * gxhat[j] - sumG - xhat[j] * sumGX));
        }
        for (int j = 0; j < n; j++)
        {
            if (dw != null) dw[j] = ToT(sumW[j]);
            if (db != null) db[j] = ToT(sumB[j]);
        }
    }

    /// <inheritdoc/>
    public int CrossEntropyForward(T[] logits, int offset, long[] targets, T[] losses, T[] lse,
        int rows, int classes, long ignoreIndex, T smoothing)
    {
        double eps = D(smoothing);
        int counted = 0;
        for (int r = 0; r < rows; r++)
        {
            int row = offset + r * classes;
            double logSumExp = LogSumExp(logits, row, classes);
            lse[r] = ToT(logSumExp);
            if (targets[r] == ignoreIndex)
            {
                losses[r] = T.Zero;
                continue;
            }
            counted++;
            // −log p_t, and for smoothing the average of −log p_j over all classes.
            double nll = logSumExp - D(logits[row + targets[r]]);
            double meanNll = 0;
            for (int j = 0; j < classes; j++) meanNll += logSumExp - D(logits[row + j]);
            meanNll /= classes;
            losses[r] = ToT((1 - eps) * nll + eps * meanNll);
        }
        return counted;
    }

    /// <inheritdoc/>
    public void CrossEntropyBackward(T[] logits, int offset, long[] targets, T[] lse, T[] rowScale, T[] dx,
        int rows, int classes, long ignoreIndex, T smoothing)
    {
        double eps = D(smoothing);
        for (int r = 0; r < rows; r++)
        {
            int row = offset + r * classes;
            if (targets[r] == ignoreIndex)
            {
                for (int j = 0; j < classes; j++) dx[r * classes + j] = T.Zero;
                continue;
            }
            // The log-sum-exp is recomputed rather than taken from the forward pass, so this backward stands alone.
            double logSumExp = LogSumExp(logits, row, classes);
            for (int j = 0; j < classes; j++)
            {
                double target = (j == targets[r] ? 1 - eps : 0) + eps / classes;
                dx[r * classes + j] = ToT(D(rowScale[r]) * (Math.Exp(D(logits[row + j]) - logSumExp) - target));
            }
        }
    }

    private static double LogSumExp(T[] x, int start, int n)
    {
        double max = double.NegativeInfinity;
        for (int j = 0; j < n; j++) max = Math.Max(max, D(x[start + j]));
        double sum = 0;
        for (int j = 0; j < n; j++) sum += Math.Exp(D(x[start + j]) - max);
        return max + Math.Log(sum);
    }
}
