namespace Sapling.Backends.Reference;

/// <summary>im2col/col2im and pooling, as loops over every output cell and every tap of its window.</summary>
public partial class ReferenceKernels<T>
{
    /// <inheritdoc/>
    public void Conv2dForward(T[] x, int xOffset, Conv2dGeometry g, T[] w, int wOffset, int outChannels, int groups, T[] y, ConvEpilogue<T> epilogue)
    {
        int cg = g.Channels / groups, og = outChannels / groups;
        for (int n = 0; n < g.Batch; n++)
            for (int o = 0; o < outChannels; o++)
                for (int oh = 0; oh < g.OutHeight; oh++)
                    for (int ow = 0; ow < g.OutWidth; ow++)
                    {
                        T sum = T.Zero;
                        for (int c = 0; c < cg; c++)
                            for (int ki = 0; ki < g.KernelH; ki++)
                                for (int kj = 0; kj < g.KernelW; kj++)
                                {
                                    int ih = oh * g.StrideH - g.PadH + ki * g.DilationH;
                                    int iw = ow * g.StrideW - g.PadW + kj * g.DilationW;
                                    if (ih < 0 || ih >= g.Height || iw < 0 || iw >= g.Width) continue;
                                    int channel = o / og * cg + c;
                                    sum += w[wOffset + ((o * cg + c) * g.KernelH + ki) * g.KernelW + kj]
                                        * x[xOffset + ((n * g.Channels + channel) * g.Height + ih) * g.Width + iw];
                                }
                        int at = ((n * outChannels + o) * g.OutHeight + oh) * g.OutWidth + ow;
                        if (epilogue.Scale != null) sum *= epilogue.Scale[epilogue.ScaleOffset + o];
                        if (epilogue.Shift != null) sum += epilogue.Shift[epilogue.ShiftOffset + o];
                        if (epilogue.Residual != null) sum += epilogue.Residual[epilogue.ResidualOffset + at];
                        y[at] = epilogue.Relu ? T.Max(sum, T.Zero) : sum;
                    }
    }

    /// <inheritdoc/>
    public void Im2Col(T[] x, int xOffset, Conv2dGeometry g, T[] col)
        => ForEachTap(g, (row, column, input) => col[row * (g.Batch * g.OutPlane) + column] = input >= 0 ? x[xOffset + input] : T.Zero);

    /// <inheritdoc/>
    public void Col2Im(T[] col, Conv2dGeometry g, T[] dx)
        => ForEachTap(g, (row, column, input) =>
        {
            if (input >= 0) dx[input] += col[row * (g.Batch * g.OutPlane) + column];
        });

    /// <summary>
    /// Calls <paramref name="tap"/> for every (im2col row, im2col column) pair with the flat [N, C, H, W] index the
    /// tap reads, or −1 where it falls in the padding.
    /// </summary>
    private static void ForEachTap(Conv2dGeometry g, Action<int, int, int> tap)
    {
        for (int c = 0; c < g.Channels; c++)
            for (int ki = 0; ki < g.KernelH; ki++)
                for (int kj = 0; kj < g.KernelW; kj++)
                {
                    int row = (c * g.KernelH + ki) * g.KernelW + kj;
                    for (int n = 0; n < g.Batch; n++)
                        for (int oh = 0; oh < g.OutHeight; oh++)
                            for (int ow = 0; ow < g.OutWidth; ow++)
                            {
                                int ih = oh * g.StrideH - g.PadH + ki * g.DilationH;
                                int iw = ow * g.StrideW - g.PadW + kj * g.DilationW;
                                bool inside = ih >= 0 && ih < g.Height && iw >= 0 && iw < g.Width;
                                tap(row, (n * g.OutHeight + oh) * g.OutWidth + ow, inside ? ((n * g.Channels + c) * g.Height + ih) * g.Width + iw : -1);
                            }
                }
    }

    /// <inheritdoc/>
    public void MaxPoolForward(T[] x, int xOffset, Conv2dGeometry g, T[] y, int[]? argmax)
    {
        int plane = g.Height * g.Width;
        for (int p = 0; p < g.Batch * g.Channels; p++)
            for (int oh = 0; oh < g.OutHeight; oh++)
                for (int ow = 0; ow < g.OutWidth; ow++)
                {
                    T best = T.NegativeInfinity;
                    int at = -1;
                    for (int ki = 0; ki < g.KernelH; ki++)
                        for (int kj = 0; kj < g.KernelW; kj++)
                        {
                            int ih = oh * g.StrideH - g.PadH + ki * g.DilationH;
                            int iw = ow * g.StrideW - g.PadW + kj * g.DilationW;
                            if (ih < 0 || ih >= g.Height || iw < 0 || iw >= g.Width) continue;
                            T v = x[xOffset + p * plane + ih * g.Width + iw];
                            // The first maximum wins ties; a NaN beats every number (PyTorch).
                            bool better = at < 0 || (T.IsNaN(v) ? !T.IsNaN(best) : v > best);
                            if (better)
                            {
                                best = v;
                                at = ih * g.Width + iw;
                            }
                        }
                    int o = (p * g.OutHeight + oh) * g.OutWidth + ow;
                    y[o] = best;
                    if (argmax != null) argmax[o] = at;
                }
    }

    /// <inheritdoc/>
    public void MaxPoolBackward(T[] dy, int dyOffset, int[] argmax, Conv2dGeometry g, T[] dx)
    {
        for (int p = 0; p < g.Batch * g.Channels; p++)
            for (int o = 0; o < g.OutPlane; o++)
            {
                int at = argmax[p * g.OutPlane + o];
                if (at >= 0) dx[p * g.Height * g.Width + at] += dy[dyOffset + p * g.OutPlane + o];
            }
    }

    /// <inheritdoc/>
    public void AvgPoolForward(T[] x, int xOffset, Conv2dGeometry g, T[] y, bool countIncludePad)
    {
        for (int p = 0; p < g.Batch * g.Channels; p++)
            for (int oh = 0; oh < g.OutHeight; oh++)
                for (int ow = 0; ow < g.OutWidth; ow++)
                {
                    var (h0, h1, w0, w1, divisor) = AvgWindow(g, oh, ow, countIncludePad);
                    double sum = 0;
                    for (int ih = h0; ih < h1; ih++)
                        for (int iw = w0; iw < w1; iw++)
                            sum += D(x[xOffset + (p * g.Height + ih) * g.Width + iw]);
                    y[(p * g.OutHeight + oh) * g.OutWidth + ow] = ToT(sum / divisor);
                }
    }

    /// <inheritdoc/>
    public void AvgPoolBackward(T[] dy, int dyOffset, Conv2dGeometry g, T[] dx, bool countIncludePad)
    {
        for (int p = 0; p < g.Batch * g.Channels; p++)
            for (int oh = 0; oh < g.OutHeight; oh++)
                for (int ow = 0; ow < g.OutWidth; ow++)
                {
                    var (h0, h1, w0, w1, divisor) = AvgWindow(g, oh, ow, countIncludePad);
                    double share = D(dy[dyOffset + (p * g.OutHeight + oh) * g.OutWidth + ow]) / divisor;
                    for (int ih = h0; ih < h1; ih++)
                        for (int iw = w0; iw < w1; iw++)
                            dx[(p * g.Height + ih) * g.Width + iw] += ToT(share);
                }
    }

    /// <summary>
    /// The input cells [h0, h1) × [w0, w1) an average covers, and its divisor: PyTorch counts the window as it lies
    /// over the padded input (clipped at the far padding edge), or only the real cells without count_include_pad.
    /// </summary>
    private static (int H0, int H1, int W0, int W1, int Divisor) AvgWindow(Conv2dGeometry g, int oh, int ow, bool countIncludePad)
    {
        int top = oh * g.StrideH - g.PadH, left = ow * g.StrideW - g.PadW;
        int bottom = Math.Min(top + g.KernelH, g.Height + g.PadH), right = Math.Min(left + g.KernelW, g.Width + g.PadW);
        int paddedCells = (bottom - top) * (right - left);
        int h0 = Math.Max(top, 0), h1 = Math.Min(bottom, g.Height), w0 = Math.Max(left, 0), w1 = Math.Min(right, g.Width);
        int realCells = (h1 - h0) * (w1 - w0);
        return (h0, h1, w0, w1, countIncludePad ? paddedCells : Math.Max(realCells, 1));
    }

    /// <inheritdoc/>
    public void AdaptiveAvgPoolForward(T[] x, int xOffset, int planes, int h, int w, int oh, int ow, T[] y)
    {
        for (int p = 0; p < planes; p++)
            for (int i = 0; i < oh; i++)
                for (int j = 0; j < ow; j++)
                {
                    var (h0, h1, w0, w1) = AdaptiveWindow(h, w, oh, ow, i, j);
                    double sum = 0;
                    for (int r = h0; r < h1; r++)
                        for (int c = w0; c < w1; c++)
                            sum += D(x[xOffset + (p * h + r) * w + c]);
                    y[(p * oh + i) * ow + j] = ToT(sum / ((h1 - h0) * (w1 - w0)));
                }
    }

    /// <inheritdoc/>
    public void AdaptiveAvgPoolBackward(T[] dy, int dyOffset, int planes, int h, int w, int oh, int ow, T[] dx)
    {
        for (int p = 0; p < planes; p++)
            for (int i = 0; i < oh; i++)
                for (int j = 0; j < ow; j++)
                {
                    var (h0, h1, w0, w1) = AdaptiveWindow(h, w, oh, ow, i, j);
                    double share = D(dy[dyOffset + (p * oh + i) * ow + j]) / ((h1 - h0) * (w1 - w0));
                    for (int r = h0; r < h1; r++)
                        for (int c = w0; c < w1; c++)
                            dx[(p * h + r) * w + c] += ToT(share);
                }
    }

    /// <summary>Output cell (i, j) averages rows ⌊i·h/oh⌋ .. ⌈(i+1)·h/oh⌉ − 1 and the columns likewise.</summary>
    private static (int H0, int H1, int W0, int W1) AdaptiveWindow(int h, int w, int oh, int ow, int i, int j)
        => ((int)Math.Floor((double)i * h / oh), (int)Math.Ceiling((double)(i + 1) * h / oh),
            (int)Math.Floor((double)j * w / ow), (int)Math.Ceiling((double)(j + 1) * w / ow));
}
