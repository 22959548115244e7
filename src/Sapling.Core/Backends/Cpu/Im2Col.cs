namespace Sapling.Backends.Cpu;

/// <summary>
/// Unfolds image patches into a matrix whose rows are (channel, kernel row, kernel column) and whose columns are
/// (image, output row, output column), so one GEMM convolves the whole batch; col2im folds gradients back.
/// </summary>
internal static class Im2Col
{
    public static void Unfold(float[] x, int xOffset, Conv2dGeometry g, float[] col)
    {
        int kk = g.KernelH * g.KernelW;
        int columns = g.Batch * g.OutPlane;
        int rows = g.Channels * kk;
        SoftmaxKernel.RowsParallel(rows, columns, (r0, r1) =>
        {
            for (int row = r0; row < r1; row++)
            {
                int c = row / kk, ki = row % kk / g.KernelW, kj = row % g.KernelW;
                var dst = col.AsSpan(row * columns, columns);
                for (int n = 0; n < g.Batch; n++)
                {
                    int plane = xOffset + (n * g.Channels + c) * g.Height * g.Width;
                    for (int oh = 0; oh < g.OutHeight; oh++)
                    {
                        var outRow = dst.Slice(n * g.OutPlane + oh * g.OutWidth, g.OutWidth);
                        int ih = oh * g.StrideH - g.PadH + ki * g.DilationH;
                        if ((uint)ih >= (uint)g.Height)
                        {
                            outRow.Clear();
                            continue;
                        }
                        int rowBase = plane + ih * g.Width;
                        int iw0 = -g.PadW + kj * g.DilationW;
                        if (g.StrideW == 1)
                        {
                            // Unit stride: the valid part of the row is one contiguous copy, the padding is zeros.
                            int lo = Math.Clamp(-iw0, 0, g.OutWidth), hi = Math.Clamp(g.Width - iw0, lo, g.OutWidth);
                            outRow.Slice(0, lo).Clear();
                            x.AsSpan(rowBase + iw0 + lo, hi - lo).CopyTo(outRow.Slice(lo, hi - lo));
                            outRow.Slice(hi).Clear();
                            continue;
                        }
                        for (int ow = 0; ow < g.OutWidth; ow++)
                        {
                            int iw = iw0 + ow * g.StrideW;
                            outRow[ow] = (uint)iw < (uint)g.Width ? x[rowBase + iw] : 0f;
                        }
                    }
                }
            }
        });
    }

    /// <summary>Adds each column entry back to the input position it was read from (dx must start zeroed).</summary>
    public static void Fold(float[] col, Conv2dGeometry g, float[] dx)
    {
        int kk = g.KernelH * g.KernelW;
        int columns = g.Batch * g.OutPlane;
        // One channel per task: all kernel offsets of a channel write the same input plane, so channels never collide.
        SoftmaxKernel.RowsParallel(g.Channels, (long)columns * kk, (c0, c1) =>
        {
            for (int c = c0; c < c1; c++)
                for (int k = 0; k < kk; k++)
                {
                    int ki = k / g.KernelW, kj = k % g.KernelW;
                    var src = col.AsSpan((c * kk + k) * columns, columns);
                    for (int n = 0; n < g.Batch; n++)
                    {
                        int plane = (n * g.Channels + c) * g.Height * g.Width;
                        for (int oh = 0; oh < g.OutHeight; oh++)
                        {
                            int ih = oh * g.StrideH - g.PadH + ki * g.DilationH;
                            if ((uint)ih >= (uint)g.Height) continue;
                            var inRow = src.Slice(n * g.OutPlane + oh * g.OutWidth, g.OutWidth);
                            int rowBase = plane + ih * g.Width;
                            int iw0 = -g.PadW + kj * g.DilationW;
                            if (g.StrideW == 1)
                            {
                                int lo = Math.Clamp(-iw0, 0, g.OutWidth), hi = Math.Clamp(g.Width - iw0, lo, g.OutWidth);
                                var target = dx.AsSpan(rowBase + iw0 + lo, hi - lo);
                                System.Numerics.Tensors.TensorPrimitives.Add(target, inRow.Slice(lo, hi - lo), target);
                                continue;
                            }
                            for (int ow = 0; ow < g.OutWidth; ow++)
                            {
                                int iw = iw0 + ow * g.StrideW;
                                if ((uint)iw < (uint)g.Width) dx[rowBase + iw] += inRow[ow];
                            }
                        }
                    }
                }
        });
    }
}
