using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Sapling.Backends.Cpu;

/// <summary>Max and average pooling over [N·C] independent planes.</summary>
internal static class PoolKernels
{
    public static void MaxForward(float[] x, int xOffset, Conv2dGeometry g, float[] y, int[] argmax)
    {
        int planes = g.Batch * g.Channels;
        int h = g.Height, w = g.Width, oh = g.OutHeight, ow = g.OutWidth;
        bool plain2x2 = g.KernelH == 2 && g.KernelW == 2 && g.StrideH == 2 && g.StrideW == 2 && g.PadH == 0 && g.PadW == 0 && g.DilationH == 1 && g.DilationW == 1;
        bool stride2 = g.StrideW == 2 && g.DilationH == 1 && g.DilationW == 1;
        SoftmaxKernel.RowsParallel(planes, h * w, (p0, p1) =>
        {
            for (int p = p0; p < p1; p++)
            {
                var input = x.AsSpan(xOffset + p * h * w, h * w);
                var output = y.AsSpan(p * oh * ow, oh * ow);
                var index = argmax.AsSpan(p * oh * ow, oh * ow);
                if (plain2x2) Max2x2(input, w, oh, ow, output, index);
                else if (stride2) MaxStride2(input, g, output, index);
                else MaxWindow(input, g, output, index);
            }
        });
    }

    /// <summary>
    /// Max pooling values without the indices (inference): per output row, the elementwise maximum of the window's
    /// input rows, then the maximum across each window of that row. A NaN in a window gives NaN, as in PyTorch.
    /// </summary>
    public static unsafe void MaxValues(float[] x, int xOffset, Conv2dGeometry g, float[] y)
    {
        int planes = g.Batch * g.Channels;
        int h = g.Height, w = g.Width, oh = g.OutHeight, ow = g.OutWidth;
        SoftmaxKernel.RowsParallel(planes, h * w, (p0, p1) =>
        {
            // Room past the row for the stride-2 path's last loads (lanes it does not store).
            var rowMax = System.Buffers.ArrayPool<float>.Shared.Rent(w + 64);
            try
            {
                for (int p = p0; p < p1; p++)
                {
                    var input = x.AsSpan(xOffset + p * h * w, h * w);
                    var output = y.AsSpan(p * oh * ow, oh * ow);
                    for (int i = 0; i < oh; i++)
                    {
                        // The window's rows inside the plane (padding counts as −∞, so it is skipped). With dilation
                        // every row of a window can fall in the padding: then the whole row of maxima is −∞.
                        var column = rowMax.AsSpan(0, w);
                        bool first = true;
                        for (int ki = 0; ki < g.KernelH; ki++)
                        {
                            int ih = i * g.StrideH - g.PadH + ki * g.DilationH;
                            if ((uint)ih >= (uint)h) continue;
                            var row = input.Slice(ih * w, w);
                            if (first) row.CopyTo(column);
                            else System.Numerics.Tensors.TensorPrimitives.Max(column, row, column);
                            first = false;
                        }
                        if (first) column.Fill(float.NegativeInfinity);
                        var outRow = output.Slice(i * ow, ow);
                        int j = 0;
                        if (Avx512F.IsSupported && g.StrideW == 2 && g.DilationW == 1)
                        {
                            // Whole windows inside the row, sixteen outputs at a time: window tap k of outputs j..j+15
                            // is the even lanes of the 32 values from 2j − padW + k.
                            int whole = (g.PadW + 1) / 2, end = Math.Min(ow, (w - g.KernelW + g.PadW) / 2 + 1);
                            for (j = 0; j < whole && j < ow; j++) outRow[j] = WindowMax(column, j, g, w);
                            fixed (float* col = rowMax, dst = outRow)
                                for (; j + 16 <= end; j += 16)
                                {
                                    float* at = col + 2 * j - g.PadW;
                                    var best = Evens(at);
                                    for (int k = 1; k < g.KernelW; k++) best = Vector512.Max(best, Evens(at + k));
                                    best.Store(dst + j);
                                }
                        }
                        for (; j < ow; j++) outRow[j] = WindowMax(column, j, g, w);
                    }
                }
            }
            finally
            {
                System.Buffers.ArrayPool<float>.Shared.Return(rowMax);
            }
        });
    }

    /// <summary>The even lanes of the 32 floats at <paramref name="p"/>: p[0], p[2], …, p[30].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe Vector512<float> Evens(float* p) =>
        Avx512F.PermuteVar16x32x2(Vector512.Load(p), Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30), Vector512.Load(p + 16));

    /// <summary>The maximum of output column j's window over the row maxima (cells in the padding skipped; NaN wins).</summary>
    private static float WindowMax(ReadOnlySpan<float> column, int j, Conv2dGeometry g, int w)
    {
        int iw0 = j * g.StrideW - g.PadW;
        float best = float.NegativeInfinity;
        for (int kj = 0; kj < g.KernelW; kj++)
        {
            int iw = iw0 + kj * g.DilationW;
            if ((uint)iw >= (uint)w) continue;
            float v = column[iw];
            if (float.IsNaN(v)) return v;
            if (v > best) best = v;
        }
        return best;
    }

    /// <summary>
    /// The usual 2×2, stride-2 pooling (first maximum wins ties, NaN wins over numbers), eight outputs per step: the
    /// two input rows are split into even and odd columns with register shuffles and the winner is chosen with
    /// selects. A scalar loop with a comparison per candidate cost more than the convolution's GEMM: after a ReLU the
    /// comparisons follow no pattern.
    /// </summary>
    private static void Max2x2(ReadOnlySpan<float> input, int w, int oh, int ow, Span<float> output, Span<int> index)
    {
        var pairs = Vector256.Create(0, 2, 4, 6, 1, 3, 5, 7);
        var step = Vector256.Create(0, 2, 4, 6, 8, 10, 12, 14);
        Span<float> partValues = stackalloc float[8];
        Span<int> partIndices = stackalloc int[8];
        for (int i = 0; i < oh; i++)
        {
            int top = 2 * i * w, bottom = top + w;
            int j = 0;
            // Rows as short as 7 or 14 outputs (28×28 and 14×14 planes) would leave most of the work to the scalar
            // tail, so a last short block runs too while its 16 loads stay inside the plane; lanes past the row end
            // read the next row and are not stored.
            for (; j < ow && bottom + 2 * j + 16 <= input.Length; j += 8)
            {
                int a = top + 2 * j, b = bottom + 2 * j;
                var (topEven, topOdd) = SplitColumns(input.Slice(a, 16), pairs);
                var (bottomEven, bottomOdd) = SplitColumns(input.Slice(b, 16), pairs);
                var v = topEven;
                var at = Vector256.Create(a) + step;
                Challenge(ref v, ref at, topOdd, Vector256.Create(a + 1) + step);
                Challenge(ref v, ref at, bottomEven, Vector256.Create(b) + step);
                Challenge(ref v, ref at, bottomOdd, Vector256.Create(b + 1) + step);
                int count = Math.Min(8, ow - j);
                if (count == 8)
                {
                    v.CopyTo(output.Slice(i * ow + j, 8));
                    at.CopyTo(index.Slice(i * ow + j, 8));
                    continue;
                }
                v.CopyTo(partValues);
                at.CopyTo(partIndices);
                partValues[..count].CopyTo(output.Slice(i * ow + j, count));
                partIndices[..count].CopyTo(index.Slice(i * ow + j, count));
            }
            j = Math.Min(j, ow);
            for (; j < ow; j++)
            {
                int a = top + 2 * j, b = bottom + 2 * j;
                int best = a;
                if (Beats(input[a + 1], input[best])) best = a + 1;
                if (Beats(input[b], input[best])) best = b;
                if (Beats(input[b + 1], input[best])) best = b + 1;
                output[i * ow + j] = input[best];
                index[i * ow + j] = best;
            }
        }
    }

    /// <summary>Sixteen consecutive values as their eight even-column and eight odd-column values.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector256<float> Even, Vector256<float> Odd) SplitColumns(ReadOnlySpan<float> sixteen, Vector256<int> pairs)
    {
        var low = Vector256.Shuffle(Vector256.Create(sixteen[..8]), pairs);
        var high = Vector256.Shuffle(Vector256.Create(sixteen[8..]), pairs);
        return (Vector256.Create(low.GetLower(), high.GetLower()), Vector256.Create(low.GetUpper(), high.GetUpper()));
    }

    /// <summary>Lanes where the candidate beats the current maximum take its value and position.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Challenge(ref Vector256<float> v, ref Vector256<int> at, Vector256<float> candidate, Vector256<int> candidateAt)
    {
        var nanOverNumber = ~Vector256.Equals(candidate, candidate) & Vector256.Equals(v, v);
        var wins = Vector256.GreaterThan(candidate, v) | nanOverNumber;
        v = Vector256.ConditionalSelect(wins, candidate, v);
        at = Vector256.ConditionalSelect(wins.AsInt32(), candidateAt, at);
    }

    /// <summary>Whether the candidate replaces the current maximum: greater, or NaN over a number.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool Beats(float candidate, float current) => candidate > current || float.IsNaN(candidate) && !float.IsNaN(current);

    /// <summary>
    /// Any window with a horizontal stride of 2 (ResNet's 3 × 3 stem pooling): eight outputs per step where their taps lie
    /// inside the row, each tap's eight inputs split out of sixteen loaded values, candidates taken in window order with
    /// selects (first maximum wins, NaN over numbers, as the scalar loop); the border columns go through that loop.
    /// </summary>
    private static void MaxStride2(ReadOnlySpan<float> input, Conv2dGeometry g, Span<float> output, Span<int> index)
    {
        int h = g.Height, w = g.Width, oh = g.OutHeight, ow = g.OutWidth, kh = g.KernelH, kw = g.KernelW, pw = g.PadW;
        var pairs = Vector256.Create(0, 2, 4, 6, 1, 3, 5, 7);
        var step = Vector256.Create(0, 2, 4, 6, 8, 10, 12, 14);
        int first = (pw + 1) / 2;
        for (int i = 0; i < oh; i++)
        {
            int j = 0;
            for (; j < ow; j++)
            {
                bool inside = j >= first && j + 8 <= ow && 2 * (j + 7) - pw + kw - 1 <= w - 1;
                if (!inside)
                {
                    MaxAt(input, g, output, index, i, j);
                    continue;
                }
                var v = Vector256<float>.Zero;
                var at = Vector256<int>.Zero;
                bool any = false, loadable = true;
                for (int ki = 0; ki < kh && loadable; ki++)
                {
                    int ih = i * g.StrideH - g.PadH + ki;
                    if ((uint)ih >= (uint)h) continue;
                    for (int kj = 0; kj < kw; kj++)
                    {
                        int start = ih * w + 2 * j - pw + kj;
                        if (start + 16 > input.Length)
                        {
                            loadable = false;
                            break;
                        }
                        var (even, _) = SplitColumns(input.Slice(start, 16), pairs);
                        var candidateAt = Vector256.Create(start) + step;
                        if (!any) (v, at, any) = (even, candidateAt, true);
                        else Challenge(ref v, ref at, even, candidateAt);
                    }
                }
                if (!loadable || !any)
                {
                    MaxAt(input, g, output, index, i, j);
                    continue;
                }
                v.CopyTo(output.Slice(i * ow + j, 8));
                at.CopyTo(index.Slice(i * ow + j, 8));
                j += 7;
            }
        }
    }

    private static void MaxAt(ReadOnlySpan<float> input, Conv2dGeometry g, Span<float> output, Span<int> index, int i, int j)
    {
        int h = g.Height, w = g.Width, ow = g.OutWidth;
        float best = float.NegativeInfinity;
        int bestAt = -1;
        for (int ki = 0; ki < g.KernelH; ki++)
        {
            int ih = i * g.StrideH - g.PadH + ki * g.DilationH;
            if ((uint)ih >= (uint)h) continue;
            for (int kj = 0; kj < g.KernelW; kj++)
            {
                int iw = j * g.StrideW - g.PadW + kj * g.DilationW;
                if ((uint)iw >= (uint)w) continue;
                float v = input[ih * w + iw];
                if (bestAt < 0 || Beats(v, best))
                {
                    best = v;
                    bestAt = ih * w + iw;
                }
            }
        }
        output[i * ow + j] = best;
        index[i * ow + j] = bestAt;
    }

    private static void MaxWindow(ReadOnlySpan<float> input, Conv2dGeometry g, Span<float> output, Span<int> index)
    {
        for (int i = 0; i < g.OutHeight; i++)
            for (int j = 0; j < g.OutWidth; j++) MaxAt(input, g, output, index, i, j);
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
