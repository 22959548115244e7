using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Sapling.Backends.Cpu;

/// <summary>Convolution as an implicit GEMM on the same micro-kernels.</summary>
public static unsafe partial class ManagedGemm
{
    /// <summary>
    /// y[n, o, ·] = w[o, ·] · patches(x[n]) for one group: the product of the weight [O, C·kH·kW] with the im2col matrix
    /// [C·kH·kW, N·OH·OW], whose NR-wide strips are packed straight from the image, so the patch matrix is never built
    /// (for a batch of ImageNet images it is hundreds of megabytes written and read back per layer). The output is written
    /// in [N, O, OH·OW] order, so no transposition follows; a strip that crosses from one image to the next is computed
    /// into a tile and merged piecewise.
    /// </summary>
    /// <param name="x">The group's first input channel of image 0; image n starts <paramref name="xImageStride"/> later.</param>
    /// <param name="g">The geometry, with <see cref="Conv2dGeometry.Channels"/> the group's input channels.</param>
    /// <param name="w">The group's weight, [outChannels, Channels·kH·kW] row-major.</param>
    /// <param name="y">The group's first output channel of image 0; image n starts <paramref name="yImageStride"/> later.</param>
    /// <param name="after">Applied to each output tile once its last depth block is in, while it is still in cache.</param>
    internal static void Conv2d(float* x, long xImageStride, in Conv2dGeometry g, float* w, int outChannels, float* y, long yImageStride, in ConvOutput after)
    {
        long columns = (long)g.Batch * g.OutPlane;
        if (outChannels == 0 || columns == 0)
            return;
        if (columns > int.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(g), $"conv2d: {columns} output positions in one batch exceed what one product can address");
        var args = new ConvArgs(x, xImageStride, g, w, outChannels, y, yImageStride, after);
        switch (SelectedKernel)
        {
            case KernelKind.Avx512:
                Conv<Avx512Kernel>(args);
                break;
            case KernelKind.Avx2:
                Conv<Avx2Kernel>(args);
                break;
            default:
                Conv<ScalarKernel>(args);
                break;
        }
    }

    private static void Conv<TKernel>(in ConvArgs args) where TKernel : struct, IGemmKernel
    {
        int m = args.OutChannels, k = args.Depth, columns = args.Columns;
        int kcStep = BalancedStep(k, TKernel.KC, 1);
        int mcStep = BalancedStep(m, TKernel.MC, TKernel.MR);
        int kBlocks = CeilDiv(k, kcStep), mBlocks = CeilDiv(m, mcStep);
        int aBlock = RoundUp(mcStep, TKernel.MR) * TKernel.AStride;

        // The weight is packed once per call and shared by every part: with few positions per image (the last stages
        // of a ResNet) repacking it per column block would cost as much as the multiply.
        float* packedW = PackBuffers.ForCurrentThread().EnsureW(kBlocks * mBlocks * aBlock);
        var weight = new GemmArgs(false, false, m, columns, k, 1f, args.W, k, null, 0, 0f, null, 0);
        for (int pb = 0; pb < kBlocks; pb++)
        {
            int pc = pb * kcStep, kc = Math.Min(kcStep, k - pc);
            for (int ib = 0; ib < mBlocks; ib++)
            {
                int ic = ib * mcStep, mc = Math.Min(mcStep, m - ic);
                PackA<TKernel>(weight, ic, mc, pc, kc, RoundUp(kc, KUnroll), packedW + (long)(pb * mBlocks + ib) * aBlock);
            }
        }

        var plan = new ConvPlan(packedW, kcStep, mcStep, mBlocks, aBlock);
        int strips = CeilDiv(columns, TKernel.NR);
        int threads = CpuWorkers.IsInsideDispatch ? 1 : CpuWorkers.Threads;
        bool parallel = threads > 1 && (long)m * columns * k >= ParallelThresholdMacs && strips >= threads;
        if (!parallel)
        {
            ConvRange<TKernel>(args, plan, 0, columns);
            return;
        }

        // Parts of at most NC columns, at least two per thread, handed out dynamically (a descheduled worker on a shared
        // machine does not hold the others back); parts own disjoint columns, so no patch is packed twice.
        int parts = Math.Min(strips, Math.Max(2 * threads, CeilDiv(columns, TKernel.NC)));
        var job = ConvJob<TKernel>.ForCurrentThread();
        job.Prepare(args, plan, parts);
        try
        {
            CpuWorkers.Run(parts, job);
        }
        finally
        {
            job.Release();
        }
    }

    /// <summary>Output columns [colStart, colEnd) (of all images' positions in a row) on the calling thread.</summary>
    private static void ConvRange<TKernel>(in ConvArgs args, in ConvPlan plan, int colStart, int colEnd) where TKernel : struct, IGemmKernel
    {
        int m = args.OutChannels, k = args.Depth;
        int ncStep = BalancedStep(colEnd - colStart, TKernel.NC, TKernel.NR);
        float* packedB = PackBuffers.ForCurrentThread().EnsureB(RoundUp(plan.KcStep, KUnroll) * RoundUp(ncStep, TKernel.NR));
        for (int jc = colStart; jc < colEnd; jc += ncStep)
        {
            int nc = Math.Min(ncStep, colEnd - jc);
            for (int pc = 0, pb = 0; pc < k; pc += plan.KcStep, pb++)
            {
                int kc = Math.Min(plan.KcStep, k - pc);
                int paddedKc = RoundUp(kc, KUnroll);
                PackPatches<TKernel>(args, pc, kc, paddedKc, jc, nc, packedB);
                // The first depth block overwrites the output, later ones add to it.
                float beta = pc == 0 ? 0f : 1f;
                for (int ic = 0, ib = 0; ic < m; ic += plan.McStep, ib++)
                {
                    int mc = Math.Min(plan.McStep, m - ic);
                    ConvMacroKernel<TKernel>(args, plan.PackedW + (long)(pb * plan.MBlocks + ib) * plan.ABlock, packedB, ic, mc, jc, nc, paddedKc, beta, pc + kc == k);
                }
            }
        }
    }

    [SkipLocalsInit]
    private static void ConvMacroKernel<TKernel>(in ConvArgs args, float* packedA, float* packedB, int ic, int mc, int jc, int nc, int kc, float beta, bool last)
        where TKernel : struct, IGemmKernel
    {
        float* tile = stackalloc float[TKernel.MR * TKernel.NR];
        int plane = args.Geometry.OutPlane;
        bool finish = last && !args.After.IsIdentity;
        for (int jr = 0; jr < nc; jr += TKernel.NR)
        {
            int nr = Math.Min(TKernel.NR, nc - jr);
            float* bStrip = packedB + (long)jr * kc;
            int column = jc + jr;
            int image = column / plane, position = column - image * plane;
            long stripStart = image * args.YImageStride + (long)ic * plane + position;
            bool oneImage = position + nr <= plane;
            for (int ir = 0; ir < mc; ir += TKernel.MR)
            {
                int mr = Math.Min(TKernel.MR, mc - ir);
                float* aPanel = packedA + (long)ir * TKernel.AStride;
                if (oneImage && mr == TKernel.MR && nr == TKernel.NR)
                {
                    long at = stripStart + (long)ir * plane;
                    TKernel.Run(aPanel, bStrip, kc, args.Y + at, plane, 1f, beta);
                    if (finish) Finish(args.After, args.Y + at, args.After.Residual + at, plane, ic + ir, mr, nr);
                    continue;
                }
                TKernel.Run(aPanel, bStrip, kc, tile, TKernel.NR, 1f, 0f);
                // The strip's columns, image by image.
                for (int done = 0, n = image, p = position; done < nr; n++, p = 0)
                {
                    int run = Math.Min(nr - done, plane - p);
                    long at = n * args.YImageStride + (long)(ic + ir) * plane + p;
                    MergeTile(tile + done, TKernel.NR, args.Y + at, plane, mr, run, 1f, beta);
                    if (finish) Finish(args.After, args.Y + at, args.After.Residual + at, plane, ic + ir, mr, run);
                    done += run;
                }
            }
        }
    }

    /// <summary>y = act(y·scale[o] + shift[o] + residual) over rows × cols of the output (row r is channel firstChannel + r).</summary>
    private static void Finish(in ConvOutput after, float* y, float* residual, int ld, int firstChannel, int rows, int cols)
    {
        bool hasResidual = after.Residual != null;
        for (int r = 0; r < rows; r++)
        {
            int channel = firstChannel + r;
            float scale = after.Scale != null ? after.Scale[channel] : 1f;
            float shift = after.Shift != null ? after.Shift[channel] : 0f;
            float* row = y + (long)r * ld;
            float* add = hasResidual ? residual + (long)r * ld : null;
            int j = 0;
            if (Vector512.IsHardwareAccelerated)
            {
                var s = Vector512.Create(scale);
                var b = Vector512.Create(shift);
                for (; j <= cols - Vector512<float>.Count; j += Vector512<float>.Count)
                {
                    var v = Vector512.FusedMultiplyAdd(Vector512.Load(row + j), s, b);
                    if (hasResidual) v += Vector512.Load(add + j);
                    if (after.Relu) v = Vector512.Max(v, Vector512<float>.Zero);
                    v.Store(row + j);
                }
            }
            else if (Vector256.IsHardwareAccelerated)
            {
                var s = Vector256.Create(scale);
                var b = Vector256.Create(shift);
                for (; j <= cols - Vector256<float>.Count; j += Vector256<float>.Count)
                {
                    var v = Vector256.FusedMultiplyAdd(Vector256.Load(row + j), s, b);
                    if (hasResidual) v += Vector256.Load(add + j);
                    if (after.Relu) v = Vector256.Max(v, Vector256<float>.Zero);
                    v.Store(row + j);
                }
            }
            for (; j < cols; j++)
            {
                float v = MathF.FusedMultiplyAdd(row[j], scale, shift);
                if (hasResidual) v += add[j];
                row[j] = after.Relu ? MathF.Max(v, 0f) : v;
            }
        }
    }

    /// <summary>
    /// Packs rows [pc, pc + kc) and columns [jc, jc + nc) of the im2col matrix into NR-wide strips of paddedKc rows, as
    /// <see cref="PackB{TKernel}"/> packs a stored matrix: row (c, ki, kj), column (n, oh, ow) holds
    /// x[n, c, oh·sH − pH + ki·dH, ow·sW − pW + kj·dW], 0 in the padding.
    /// </summary>
    [SkipLocalsInit]
    private static void PackPatches<TKernel>(in ConvArgs args, int pc, int kc, int paddedKc, int jc, int nc, float* dst)
        where TKernel : struct, IGemmKernel
    {
        ref readonly Conv2dGeometry g = ref args.Geometry;
        int plane = g.OutPlane, ow = g.OutWidth, kw = g.KernelW, kk = g.KernelH * kw;
        // A strip's columns fall into runs that share an image and an output row: at most NR of them.
        var runs = stackalloc PatchRun[TKernel.NR];
        for (int jr = 0; jr < nc; jr += TKernel.NR)
        {
            int nr = Math.Min(TKernel.NR, nc - jr);
            float* strip = dst + (long)jr * paddedKc;
            int runCount = 0;
            for (int done = 0; done < nr;)
            {
                int column = jc + jr + done;
                int image = column / plane, position = column - image * plane;
                int oh = position / ow, firstOw = position - oh * ow;
                int length = Math.Min(nr - done, ow - firstOw);
                runs[runCount++] = new PatchRun(args.X + image * args.XImageStride, oh * g.StrideH - g.PadH, firstOw * g.StrideW - g.PadW, length, done);
                done += length;
            }

            int c = pc / kk, ki = pc % kk / kw, kj = pc % kw;
            for (int r = 0; r < kc; r++)
            {
                float* row = strip + (long)r * TKernel.NR;
                long channel = (long)c * g.Height * g.Width;
                int rowOffset = ki * g.DilationH, colOffset = kj * g.DilationW;
                for (int i = 0; i < runCount; i++)
                {
                    ref readonly PatchRun run = ref runs[i];
                    float* target = row + run.Target;
                    int ih = run.TopRow + rowOffset;
                    float* source = run.Image + channel + (long)ih * g.Width;
                    int iw0 = run.LeftColumn + colOffset;
                    bool inside = (uint)ih < (uint)g.Height;
                    if (Avx512F.IsSupported && g.StrideW <= 2)
                    {
                        if (g.StrideW == 1) CopyRun512(source, iw0, inside ? g.Width : 0, target, run.Length);
                        else CopyRunStride2Avx512(source, iw0, inside ? g.Width : 0, target, run.Length);
                    }
                    else if (!inside)
                    {
                        new Span<float>(target, run.Length).Clear();
                    }
                    else if (g.StrideW == 1)
                    {
                        // Unit stride: the valid part is one contiguous copy, the padding on either side zeros.
                        int lo = Math.Clamp(-iw0, 0, run.Length), hi = Math.Clamp(g.Width - iw0, lo, run.Length);
                        for (int t = 0; t < lo; t++) target[t] = 0f;
                        CopyRow(source + iw0 + lo, target + lo, hi - lo);
                        for (int t = hi; t < run.Length; t++) target[t] = 0f;
                    }
                    else
                    {
                        for (int t = 0, iw = iw0; t < run.Length; t++, iw += g.StrideW)
                            target[t] = (uint)iw < (uint)g.Width ? source[iw] : 0f;
                    }
                }
                if (++kj == kw)
                {
                    kj = 0;
                    if (++ki == g.KernelH)
                    {
                        ki = 0;
                        c++;
                    }
                }
            }

            ZeroBlock(strip + nr, TKernel.NR, kc, TKernel.NR - nr);
            ZeroBlock(strip + (long)kc * TKernel.NR, TKernel.NR, paddedKc - kc, TKernel.NR);
        }
    }

    /// <summary>
    /// target[t] = row[iw0 + t] for t &lt; length where 0 ≤ iw0 + t &lt; width, else 0: sixteen at a time with masked loads
    /// (lanes in the padding are never read, so the row's neighbours need not exist) and masked stores (the next run's
    /// slots are left alone). A width of 0 writes zeros (the kernel row falls in the vertical padding).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CopyRun512(float* row, int iw0, int width, float* target, int length)
    {
        var lane = Vector512.Create(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
        var end = Vector512.Create(length);
        var first = Vector512.Create(-iw0);
        var last = Vector512.Create(width - iw0);
        for (int q = 0; q < length; q += 16)
        {
            var t = lane + Vector512.Create(q);
            var store = Vector512.LessThan(t, end);
            var load = store & Vector512.GreaterThanOrEqual(t, first) & Vector512.LessThan(t, last);
            var v = Avx512F.MaskLoad(row + iw0 + q, load.AsSingle(), Vector512<float>.Zero);
            Avx512F.MaskStore(target + q, store.AsSingle(), v);
        }
    }

    /// <summary>As <see cref="CopyRun512"/> with a horizontal stride of 2: target[t] = row[iw0 + 2t], the even lanes of two masked loads.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CopyRunStride2Avx512(float* row, int iw0, int width, float* target, int length)
    {
        var lane = Vector512.Create(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
        var evens = Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
        var end = Vector512.Create(length);
        var firstColumn = Vector512.Create(0);
        var lastColumn = Vector512.Create(width);
        for (int q = 0; q < length; q += 16)
        {
            var t = lane + Vector512.Create(q);
            var store = Vector512.LessThan(t, end);
            // Source columns iw0 + 2q + [0, 32): the first vector holds 0..15, the second 16..31.
            var lowColumns = lane + Vector512.Create(iw0 + 2 * q);
            var highColumns = lowColumns + Vector512.Create(16);
            var lowLoad = Vector512.GreaterThanOrEqual(lowColumns, firstColumn) & Vector512.LessThan(lowColumns, lastColumn);
            var highLoad = Vector512.GreaterThanOrEqual(highColumns, firstColumn) & Vector512.LessThan(highColumns, lastColumn);
            var low = Avx512F.MaskLoad(row + iw0 + 2 * q, lowLoad.AsSingle(), Vector512<float>.Zero);
            var high = Avx512F.MaskLoad(row + iw0 + 2 * q + 16, highLoad.AsSingle(), Vector512<float>.Zero);
            Avx512F.MaskStore(target + q, store.AsSingle(), Avx512F.PermuteVar16x32x2(low, evens, high));
        }
    }

    /// <summary>Columns of a strip that share an image and an output row: their first input row and column before the kernel offset.</summary>
    private readonly struct PatchRun(float* image, int topRow, int leftColumn, int length, int target)
    {
        public readonly float* Image = image;
        public readonly int TopRow = topRow;
        public readonly int LeftColumn = leftColumn;
        public readonly int Length = length;
        public readonly int Target = target;
    }

    /// <summary>
    /// What <see cref="Conv2d"/> applies to each output: act(y·Scale[o] + Shift[o] + Residual), where the residual has the
    /// output's layout (same image stride); null parts are left out.
    /// </summary>
    internal readonly struct ConvOutput(float* scale, float* shift, float* residual, bool relu)
    {
        public readonly float* Scale = scale;
        public readonly float* Shift = shift;
        public readonly float* Residual = residual;
        public readonly bool Relu = relu;
        public bool IsIdentity => Scale == null && Shift == null && Residual == null && !Relu;
    }

    private readonly struct ConvArgs(float* x, long xImageStride, Conv2dGeometry g, float* w, int outChannels, float* y, long yImageStride, ConvOutput after)
    {
        public readonly float* X = x;
        public readonly long XImageStride = xImageStride;
        public readonly Conv2dGeometry Geometry = g;
        public readonly float* W = w;
        public readonly int OutChannels = outChannels;
        public readonly float* Y = y;
        public readonly long YImageStride = yImageStride;
        public readonly ConvOutput After = after;
        public int Depth => Geometry.Channels * Geometry.KernelH * Geometry.KernelW;
        public int Columns => Geometry.Batch * Geometry.OutPlane;
    }

    /// <summary>The blocking of one convolution and where its packed weight lives.</summary>
    private readonly struct ConvPlan(float* packedW, int kcStep, int mcStep, int mBlocks, int aBlock)
    {
        public readonly float* PackedW = packedW;
        public readonly int KcStep = kcStep;
        public readonly int McStep = mcStep;
        public readonly int MBlocks = mBlocks;
        public readonly int ABlock = aBlock;
    }

    /// <summary>One cached job per (kernel, calling thread), so a parallel convolution allocates nothing.</summary>
    private sealed class ConvJob<TKernel> : IParallelWork where TKernel : struct, IGemmKernel
    {
        [ThreadStatic] private static ConvJob<TKernel>? t_cached;

        private ConvArgs _args;
        private ConvPlan _plan;
        private int _parts;

        public static ConvJob<TKernel> ForCurrentThread() => t_cached ??= new ConvJob<TKernel>();

        public void Prepare(in ConvArgs args, in ConvPlan plan, int parts)
        {
            _args = args;
            _plan = plan;
            _parts = parts;
        }

        public void Release()
        {
            _args = default;
            _plan = default;
        }

        public void Run(int part)
        {
            // Whole strips per part, so only the last part ends in a partial strip.
            int strips = CeilDiv(_args.Columns, TKernel.NR);
            int first = (int)((long)strips * part / _parts), last = (int)((long)strips * (part + 1) / _parts);
            ConvRange<TKernel>(_args, _plan, first * TKernel.NR, Math.Min(last * TKernel.NR, _args.Columns));
        }
    }
}
