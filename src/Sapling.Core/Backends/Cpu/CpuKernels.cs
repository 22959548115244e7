namespace Sapling.Backends.Cpu;

/// <summary>
/// The CPU backend: each method hands its arguments to the SIMD kernel of its family, which splits the work across
/// <see cref="CpuWorkers"/>. Stateless, so one instance serves every thread.
/// </summary>
public sealed partial class CpuKernels : IKernels
{
    /// <summary>Products at most this large (in flops) run one per worker when a batch has enough of them.</summary>
    private const long PerWorkerProductFlops = 2L * 192 * 192 * 192;

    /// <summary>The shared instance; the class is stateless, so every thread can use it.</summary>
    public static CpuKernels Instance { get; } = new();

    /// <inheritdoc/>
    public string Name => "cpu";

    /// <inheritdoc/>
    public unsafe void Gemm(bool transA, bool transB, int m, int n, int k,
        float alpha, float[] a, int aOffset, int lda, float[] b, int bOffset, int ldb, float beta, float[] c, int cOffset, int ldc)
    {
        fixed (float* pa = a, pb = b, pc = c)
            Cpu.Gemm.Sgemm(transA, transB, m, n, k, alpha, pa + aOffset, lda, pb + bOffset, ldb, beta, pc + cOffset, ldc);
    }

    /// <inheritdoc/>
    public unsafe void GemmBatched(bool transA, bool transB, int m, int n, int k,
        float alpha, float[] a, int[] aOffsets, int lda, float[] b, int[] bOffsets, int ldb, float beta, float[] c, int cStride, int ldc)
    {
        int count = aOffsets.Length;
        // Many small products (attention heads) run one per worker on the managed kernel, whose threads are ours;
        // OpenBLAS's own threads would fight them. Large products use the parallel GEMM one after another.
        if (count >= CpuWorkers.Threads && 2L * m * n * k < PerWorkerProductFlops)
        {
            CpuWorkers.For(count, i =>
            {
                fixed (float* pa = a, pb = b, pc = c)
                    Cpu.Gemm.SgemmManaged(transA, transB, m, n, k, alpha, pa + aOffsets[i], lda, pb + bOffsets[i], ldb, beta, pc + (long)i * cStride, ldc);
            });
            return;
        }
        fixed (float* pa = a, pb = b, pc = c)
            for (int i = 0; i < count; i++)
                Cpu.Gemm.Sgemm(transA, transB, m, n, k, alpha, pa + aOffsets[i], lda, pb + bOffsets[i], ldb, beta, pc + (long)i * cStride, ldc);
    }

    /// <inheritdoc/>
    public void SoftmaxForward(float[] x, int xOffset, float[] y, int rows, int n, bool log)
        => SoftmaxKernel.Forward(x, xOffset, y, rows, n, log);

    /// <inheritdoc/>
    public void CausalSoftmaxForward(float[] x, int xOffset, float[] y, int rows, int n, int queries, int offset)
        => SoftmaxKernel.CausalForward(x, xOffset, y, rows, n, queries, offset);

    /// <inheritdoc/>
    public void SoftmaxBackward(float[] y, float[] dy, int dyOffset, float[] dx, int rows, int n, bool log)
        => SoftmaxKernel.Backward(y, dy, dyOffset, dx, rows, n, log);

    /// <inheritdoc/>
    public void LayerNormForward(float[] x, int xOffset, float[]? w, int wOffset, float[]? b, int bOffset,
        float[] y, float[] mean, float[] rstd, int rows, int n, float eps)
        => LayerNormKernel.Forward(x, xOffset, w, wOffset, b, bOffset, y, mean, rstd, rows, n, eps);

    /// <inheritdoc/>
    public void RmsNormForward(float[] x, int xOffset, float[] w, int wOffset, float[] y, float[] rstd, int rows, int n, float eps)
        => RmsNormKernel.Forward(x, xOffset, w, wOffset, y, rstd, rows, n, eps);

    /// <inheritdoc/>
    public void RmsNormBackward(float[] x, int xOffset, float[] w, int wOffset, float[] dy, int dyOffset, float[] rstd, float[]? dx, float[]? dw, int rows, int n)
        => RmsNormKernel.Backward(x, xOffset, w, wOffset, dy, dyOffset, rstd, dx, dw, rows, n);

    /// <inheritdoc/>
    public void ChannelMoments(float[] x, int xOffset, int n, int c, int hw, float[] mean, float[] variance)
        => BatchNormKernel.Moments(x, xOffset, n, c, hw, mean, variance);

    /// <inheritdoc/>
    public void ChannelAffine(float[] x, int xOffset, float[] scale, float[] shift, float[] y, int n, int c, int hw)
        => BatchNormKernel.Affine(x, xOffset, scale, shift, y, n, c, hw);

    /// <inheritdoc/>
    public void BatchNormBackward(float[] x, int xOffset, float[] dy, int dyOffset, float[] mean, float[] rstd, float[]? gamma, float[]? dx,
        float[] sumDy, float[] sumDyXhat, int n, int c, int hw, bool batchStatistics)
        => BatchNormKernel.Backward(x, xOffset, dy, dyOffset, mean, rstd, gamma, dx, sumDy, sumDyXhat, n, c, hw, batchStatistics);

    /// <inheritdoc/>
    public void LayerNormBackward(float[] x, int xOffset, float[]? w, int wOffset, float[] dy, int dyOffset, float[] mean, float[] rstd,
        float[]? dx, float[]? dw, float[]? db, int rows, int n)
        => LayerNormKernel.Backward(x, xOffset, w, wOffset, dy, dyOffset, mean, rstd, dx, dw, db, rows, n);

    /// <inheritdoc/>
    public int CrossEntropyForward(float[] logits, int offset, long[] targets, float[] losses, float[] lse,
        int rows, int classes, long ignoreIndex, float smoothing)
        => CrossEntropyKernel.Forward(logits, offset, targets, losses, lse, rows, classes, ignoreIndex, smoothing);

    /// <inheritdoc/>
    public void CrossEntropyBackward(float[] logits, int offset, long[] targets, float[] lse, float[] rowScale, float[] dx,
        int rows, int classes, long ignoreIndex, float smoothing)
        => CrossEntropyKernel.Backward(logits, offset, targets, lse, rowScale, dx, rows, classes, ignoreIndex, smoothing);

    /// <inheritdoc/>
    public void AttentionForward(float[] q, float[] k, float[] v, float[] output, float[] lse,
        int heads, int t, int s, int d, int past, float scale, int[]? keyStart, int headsPerRow, int kvHeadStride, int kvGroups = 1, int window = 0)
        => AttentionKernel.Forward(q, k, v, output, lse, heads, t, s, d, past, scale, keyStart, headsPerRow, kvHeadStride, kvGroups, window);

    /// <inheritdoc/>
    public void EncoderAttentionForward(float[] q, HeadLayout qLayout, float[] k, HeadLayout kLayout, float[] v, HeadLayout vLayout, float[] output,
        int batch, int heads, int t, int s, int d, float scale, int[]? keyLengths)
        => EncoderAttentionKernel.Forward(q, qLayout, k, kLayout, v, vLayout, output, batch, heads, t, s, d, scale, keyLengths);

    /// <inheritdoc/>
    public void AttentionBackward(float[] q, float[] k, float[] v, float[] output, float[] lse, float[] dOut,
        float[] dq, float[] dk, float[] dv, int heads, int t, int s, int d, int past, float scale)
        => AttentionKernel.Backward(q, k, v, output, lse, dOut, dq, dk, dv, heads, t, s, d, past, scale);

    /// <inheritdoc/>
    public void Sum(float[] x, int xOffset, float[] y, int outer, int reduce, int inner)
        => ReduceKernels.Sum(x.AsSpan(xOffset, outer * reduce * inner), y.AsSpan(0, outer * inner), outer, reduce, inner);

    /// <inheritdoc/>
    public void ArgExtreme(float[] x, int xOffset, float[] values, long[] indices, int outer, int reduce, int inner, bool max)
        => ReduceKernels.ArgExtreme(x.AsSpan(xOffset, outer * reduce * inner), values.AsSpan(0, outer * inner), indices.AsSpan(0, outer * inner), outer, reduce, inner, max);

    /// <inheritdoc/>
    public unsafe void Conv2dForward(float[] x, int xOffset, Conv2dGeometry g, float[] w, int wOffset, int outChannels, int groups, float[] y, ConvEpilogue<float> epilogue)
    {
        if (g.Batch == 0 || outChannels == 0 || g.OutPlane == 0) return;
        int cg = g.Channels / groups, og = outChannels / groups;
        int depth = cg * g.KernelH * g.KernelW;
        var group = g with { Channels = cg };
        long xImage = (long)g.Channels * g.Height * g.Width, yImage = (long)outChannels * g.OutPlane;
        fixed (float* px = x, pw = w, py = y, scale = epilogue.Scale, shift = epilogue.Shift, residual = epilogue.Residual)
            for (int gi = 0; gi < groups; gi++)
            {
                long outputs = (long)gi * og * g.OutPlane;
                var after = new ManagedGemm.ConvOutput(scale == null ? null : scale + epilogue.ScaleOffset + gi * og, shift == null ? null : shift + epilogue.ShiftOffset + gi * og,
                    residual == null ? null : residual + epilogue.ResidualOffset + outputs, epilogue.Relu);
                float* input = px + xOffset + (long)gi * cg * g.Height * g.Width, weight = pw + wOffset + (long)gi * og * depth;
                if (DirectConv.Serves(og))
                    DirectConv.Conv2d(input, xImage, group, weight, og, py + outputs, yImage, after);
                else
                    ManagedGemm.Conv2d(input, xImage, group, weight, og, py + outputs, yImage, after);
            }
    }

    /// <inheritdoc/>
    public void Im2Col(float[] x, int xOffset, Conv2dGeometry g, float[] col) => Cpu.Im2Col.Unfold(x, xOffset, g, col);

    /// <inheritdoc/>
    public void Col2Im(float[] col, Conv2dGeometry g, float[] dx) => Cpu.Im2Col.Fold(col, g, dx);

    /// <inheritdoc/>
    public void MaxPoolForward(float[] x, int xOffset, Conv2dGeometry g, float[] y, int[]? argmax)
    {
        if (argmax == null) PoolKernels.MaxValues(x, xOffset, g, y);
        else PoolKernels.MaxForward(x, xOffset, g, y, argmax);
    }

    /// <inheritdoc/>
    public void MaxPoolBackward(float[] dy, int dyOffset, int[] argmax, Conv2dGeometry g, float[] dx) => PoolKernels.MaxBackward(dy, dyOffset, argmax, g, dx);

    /// <inheritdoc/>
    public void AvgPoolForward(float[] x, int xOffset, Conv2dGeometry g, float[] y, bool countIncludePad) => PoolKernels.AvgForward(x, xOffset, g, y, countIncludePad);

    /// <inheritdoc/>
    public void AvgPoolBackward(float[] dy, int dyOffset, Conv2dGeometry g, float[] dx, bool countIncludePad) => PoolKernels.AvgBackward(dy, dyOffset, g, dx, countIncludePad);

    /// <inheritdoc/>
    public void AdaptiveAvgPoolForward(float[] x, int xOffset, int planes, int h, int w, int oh, int ow, float[] y)
        => PoolKernels.AdaptiveAvg(x, xOffset, planes, h, w, oh, ow, y, backward: false);

    /// <inheritdoc/>
    public void AdaptiveAvgPoolBackward(float[] dy, int dyOffset, int planes, int h, int w, int oh, int ow, float[] dx)
        => PoolKernels.AdaptiveAvg(dy, dyOffset, planes, h, w, oh, ow, dx, backward: true);
}
