namespace Sapling.Backends.Cpu;

/// <summary>Max and average pooling over [N·C] independent planes.</summary>
internal static class PoolKernels
{
    public static void MaxForward(float[] x, int xOffset, Conv2dGeometry g, float[] y, int[] argmax)
    {
        int planes = g.Batch * g.Channels;
        SoftmaxKernel.RowsParallel(planes, g.Height * g.Width, (p0, p1) =>
        {
            for (int p = p0; p < p1; p++)
            {
                int inBase = xOffset + p * g.Height * g.Width;
                int outBase = p * g.OutPlane;
                for (int oh = 0; oh < g.OutHeight; oh++)
                    for (int ow = 0; ow < g.OutWidth; ow++)
                    {
                        float best = float.NegativeInfinity;
                        int bestAt = -1;
                        for (int i = 0; i < g.KernelH; i++)
                        {
                            int ih = oh * g.StrideH - g.PadH + i * g.DilationH;
                            if ((uint)ih >= (uint)g.Height) continue;
                            for (int j = 0; j < g.KernelW; j++)
                            {
                                int iw = ow * g.StrideW - g.PadW + j * g.DilationW;
                                if ((uint)iw >= (uint)g.Width) continue;
                                float v = x[inBase + ih * g.Width + iw];
                                if (v > best || bestAt < 0 || float.IsNaN(v))
                                {
                                    best = v;
                                    bestAt = ih * g.Width + iw;
                                    if (float.IsNaN(v)) goto done;
                                }
                            }
                        }
                        done:
                        y[outBase + oh * g.OutWidth + ow] = best;
                        argmax[outBase + oh * g.OutWidth + ow] = bestAt;
                    }
            }
        });
    }

    public static void MaxBackward(float[] dy, int dyOffset, int[] argmax, Conv2dGeometry g, float[] dx)
    {
        int planes = g.Batch * g.Channels;
        SoftmaxKernel.RowsParallel(planes, g.OutPlane, (p0, p1) =>
        {
            for (int p = p0; p < p1; p++)
            {
                int inBase = p * g.Height * g.Width;
                int outBase = p * g.OutPlane;
                for (int o = 0; o < g.OutPlane; o++)
                {
                    int at = argmax[outBase + o];
                    if (at >= 0) dx[inBase + at] += dy[dyOffset + outBase + o];
                }
            }
        });
    }

    /// <summary>Average pooling; with <paramref name="countIncludePad"/> the divisor counts padded cells (PyTorch's default).</summary>
    public static void AvgForward(float[] x, int xOffset, Conv2dGeometry g, float[] y, bool countIncludePad)
    {
        int planes = g.Batch * g.Channels;
        SoftmaxKernel.RowsParallel(planes, g.Height * g.Width, (p0, p1) =>
        {
            for (int p = p0; p < p1; p++)
            {
                int inBase = xOffset + p * g.Height * g.Width;
                int outBase = p * g.OutPlane;
                for (int oh = 0; oh < g.OutHeight; oh++)
                    for (int ow = 0; ow < g.OutWidth; ow++)
                    {
                        Window(g, oh, ow, countIncludePad, out int h0, out int h1, out int w0, out int w1, out int divisor);
                        float sum = 0f;
                        for (int ih = h0; ih < h1; ih++)
                            for (int iw = w0; iw < w1; iw++)
                                sum += x[inBase + ih * g.Width + iw];
                        y[outBase + oh * g.OutWidth + ow] = sum / divisor;
                    }
            }
        });
    }

    public static void AvgBackward(float[] dy, int dyOffset, Conv2dGeometry g, float[] dx, bool countIncludePad)
    {
        int planes = g.Batch * g.Channels;
        SoftmaxKernel.RowsParallel(planes, g.OutPlane, (p0, p1) =>
        {
            for (int p = p0; p < p1; p++)
            {
                int inBase = p * g.Height * g.Width;
                int outBase = p * g.OutPlane;
                for (int oh = 0; oh < g.OutHeight; oh++)
                    for (int ow = 0; ow < g.OutWidth; ow++)
                    {
                        Window(g, oh, ow, countIncludePad, out int h0, out int h1, out int w0, out int w1, out int divisor);
                        float share = dy[dyOffset + outBase + oh * g.OutWidth + ow] / divisor;
                        for (int ih = h0; ih < h1; ih++)
                            for (int iw = w0; iw < w1; iw++)
                                dx[inBase + ih * g.Width + iw] += share;
                    }
            }
        });
    }

    private static void Window(Conv2dGeometry g, int oh, int ow, bool countIncludePad, out int h0, out int h1, out int w0, out int w1, out int divisor)
    {
        int hs = oh * g.StrideH - g.PadH, ws = ow * g.StrideW - g.PadW;
        int he = Math.Min(hs + g.KernelH, g.Height + g.PadH), we = Math.Min(ws + g.KernelW, g.Width + g.PadW);
        int padded = (he - hs) * (we - ws);
        h0 = Math.Max(hs, 0);
        w0 = Math.Max(ws, 0);
        h1 = Math.Min(he, g.Height);
        w1 = Math.Min(we, g.Width);
        divisor = countIncludePad ? padded : Math.Max((h1 - h0) * (w1 - w0), 1);
    }

    /// <summary>Adaptive average pooling: output cell i covers input rows floor(i·H/oh) .. ceil((i+1)·H/oh) − 1 (PyTorch's windows).</summary>
    public static void AdaptiveAvg(float[] src, int srcOffset, int planes, int h, int w, int oh, int ow, float[] dst, bool backward)
    {
        SoftmaxKernel.RowsParallel(planes, h * w, (p0, p1) =>
        {
            for (int p = p0; p < p1; p++)
            {
                int inBase = p * h * w, outBase = p * oh * ow;
                for (int i = 0; i < oh; i++)
                {
                    int h0 = i * h / oh, h1 = ((i + 1) * h + oh - 1) / oh;
                    for (int j = 0; j < ow; j++)
                    {
                        int w0 = j * w / ow, w1 = ((j + 1) * w + ow - 1) / ow;
                        int count = (h1 - h0) * (w1 - w0);
                        if (backward)
                        {
                            float share = src[srcOffset + outBase + i * ow + j] / count;
                            for (int y = h0; y < h1; y++)
                                for (int x = w0; x < w1; x++)
                                    dst[inBase + y * w + x] += share;
                        }
                        else
                        {
                            float sum = 0f;
                            for (int y = h0; y < h1; y++)
                                for (int x = w0; x < w1; x++)
                                    sum += src[srcOffset + inBase + y * w + x];
                            dst[outBase + i * ow + j] = sum / count;
                        }
                    }
                }
            }
        });
    }
}
