namespace Sapling.Backends.Reference;

public partial class ReferenceKernels<T>
{
    /// <inheritdoc/>
    public void ChannelMoments(T[] x, int xOffset, int n, int c, int hw, T[] mean, T[] variance)
    {
        for (int ch = 0; ch < c; ch++)
        {
            double sum = 0;
            for (int b = 0; b < n; b++)
                for (int i = 0; i < hw; i++) sum += D(x[xOffset + (b * c + ch) * hw + i]);
            double m = sum / Math.Max(1, n * hw);
            double squares = 0;
            for (int b = 0; b < n; b++)
                for (int i = 0; i < hw; i++)
                {
                    double d = D(x[xOffset + (b * c + ch) * hw + i]) - m;
                    squares += d * d;
                }
            mean[ch] = ToT(m);
            variance[ch] = ToT(squares / Math.Max(1, n * hw));
        }
    }

    /// <inheritdoc/>
    public void ChannelAffine(T[] x, int xOffset, T[] scale, T[] shift, T[] y, int n, int c, int hw)
    {
        for (int b = 0; b < n; b++)
            for (int ch = 0; ch < c; ch++)
                for (int i = 0; i < hw; i++)
                {
                    int at = (b * c + ch) * hw + i;
                    y[at] = ToT(D(x[xOffset + at]) * D(scale[ch]) + D(shift[ch]));
                }
    }

    /// <inheritdoc/>
    public void BatchNormBackward(T[] x, int xOffset, T[] dy, int dyOffset, T[] mean, T[] rstd, T[]? gamma, T[]? dx, T[] sumDy, T[] sumDyXhat,
        int n, int c, int hw, bool batchStatistics)
    {
        double m = (double)n * hw;
        for (int ch = 0; ch < c; ch++)
        {
            double mu = D(mean[ch]), r = D(rstd[ch]), sd = 0, sxhat = 0;
            for (int b = 0; b < n; b++)
                for (int i = 0; i < hw; i++)
                {
                    int at = (b * c + ch) * hw + i;
                    sd += D(dy[dyOffset + at]);
                    sxhat += D(dy[dyOffset + at]) * (D(x[xOffset + at]) - mu) * r;
                }
            sumDy[ch] = ToT(sd);
            sumDyXhat[ch] = ToT(sxhat);
            if (dx == null) continue;
            double g = gamma == null ? 1.0 : D(gamma[ch]);
            for (int b = 0; b < n; b++)
                for (int i = 0; i < hw; i++)
                {
                    int at = (b * c + ch) * hw + i;
                    double xhat = (D(x[xOffset + at]) - mu) * r;
                    double grad = batchStatistics ? g * r * (D(dy[dyOffset + at]) - sd / m - xhat * sxhat / m) : g * r * D(dy[dyOffset + at]);
                    dx[at] = ToT(grad);
                }
        }
    }
}
