using Sapling.Backends;

namespace Sapling;

public sealed partial class Tensor
{
    /// <summary>
    /// 2-D convolution (cross-correlation, as torch.nn.functional.conv2d) of input [N, C, H, W] with weight
    /// [O, C/groups, kH, kW] and optional bias [O]: one product per group of the weight by the patch matrix, which the
    /// kernel packs from the input as it multiplies (implicit GEMM).
    /// </summary>
    public static Tensor Conv2d(Tensor input, Tensor weight, Tensor? bias = null,
        (int H, int W)? stride = null, (int H, int W)? padding = null, (int H, int W)? dilation = null, int groups = 1)
    {
        var g = ConvGeometry("conv2d", input, weight, stride, padding, dilation, groups);
        if (bias != null) RequireChannelVector("conv2d", "bias", input, bias, weight.shape[0]);
        int n = g.Batch, c = g.Channels, o = weight.shape[0];
        int og = o / groups, cg = c / groups;
        var x = input.Contiguous();
        var w = weight.Contiguous();
        int kk = g.KernelH * g.KernelW;
        int columns = n * g.OutPlane;
        int rowsPerGroup = cg * kk;
        var dtype = input.DType;
        // The forward never builds the patch matrix (the kernel packs patches as it multiplies) and writes [N, O, H, W]
        // directly; the backward unfolds the input again when it needs the patches, so a training forward keeps only
        // its inputs, not one patch matrix per layer.
        var result = Uninitialized(dtype, [n, o, g.OutHeight, g.OutWidth]);
        TensorKernels.For(dtype).Conv2dForward(x, g, w, o, groups, result, shift: bias?.Contiguous());

        var inputs = bias != null ? new[] { input, weight, bias } : new[] { input, weight };
        // The weight's gradient unfolds the input again, so the graph holds its own reference to the input's storage
        // (released with the scope, as the patch matrix used to be): a caller may dispose a batch once the loss exists.
        bool recorded = Autograd.NoGrad.IsEnabled && (input.requiresGrad || weight.requiresGrad || bias is { requiresGrad: true });
        var saved = recorded && weight.requiresGrad ? x.ViewOf((int[])x.shape.Clone(), (int[])x.strides.Clone(), x.offset) : x;
        return Record(result, "conv2d", inputs, grad =>
        {
            var gT = grad.Permute(1, 0, 2, 3).ContiguousCopy();
            Tensor? dInput = null, dWeight = null, dBias = null;
            var backend = TensorKernels.For(dtype);
            if (weight.requiresGrad)
            {
                // dW = Σ over images of gradient × patchesᵀ, a few images at a time: the patches of a chunk stay within
                // about 16 MB instead of one matrix for the whole batch (115 MB for a 3×3 layer of 64 channels at 56×56
                // and a batch of 16).
                int chunk = (int)Math.Clamp((16L << 20) / Math.Max(1L, (long)c * kk * g.OutPlane * dtype.ElementSize()), 1, Math.Max(1, n));
                dWeight = n == 0 ? Zeros((int[])weight.shape.Clone(), dtype) : Uninitialized(dtype, (int[])weight.shape.Clone());
                using var colTensor = Uninitialized(dtype, [c * kk, chunk * g.OutPlane]);
                for (int first = 0; first < n; first += chunk)
                {
                    int count = Math.Min(chunk, n - first), chunkColumns = count * g.OutPlane;
                    using var images = saved.ViewOf([count, c, g.Height, g.Width], (int[])saved.strides.Clone(), saved.offset + first * saved.strides[0]);
                    backend.Im2Col(images, g with { Batch = count }, colTensor);
                    for (int gi = 0; gi < groups; gi++)
                        backend.Gemm(false, true, og, rowsPerGroup, chunkColumns,
                            gT, gi * og * columns + first * g.OutPlane, columns,
                            colTensor, gi * rowsPerGroup * chunkColumns, chunkColumns,
                            dWeight, gi * og * rowsPerGroup, rowsPerGroup, accumulate: first > 0);
                }
            }
            if (input.requiresGrad && groups == 1 && g.StrideH == 1 && g.StrideW == 1 && g.DilationH == 1 && g.DilationW == 1
                && g.PadH < g.KernelH && g.PadW < g.KernelW)
            {
                // At unit stride the input's gradient is itself a convolution: of the output's gradient with the weight
                // flipped in space and its channels swapped, padded by k − 1 − p. One pass of the convolution kernel
                // instead of a product the size of the patch matrix and its fold.
                using var flipped = Uninitialized(dtype, [c, o, g.KernelH, g.KernelW]);
                if (dtype == DType.Float32) FlipKernel<float>(w, flipped);
                else FlipKernel<double>(w, flipped);
                var back = new Conv2dGeometry(n, o, g.OutHeight, g.OutWidth, g.KernelH, g.KernelW, 1, 1, g.KernelH - 1 - g.PadH, g.KernelW - 1 - g.PadW, 1, 1);
                dInput = Uninitialized(dtype, (int[])input.shape.Clone());
                backend.Conv2dForward(grad.Contiguous(), back, flipped, c, 1, dInput);
            }
            else if (input.requiresGrad)
            {
                using var dcolTensor = Uninitialized(dtype, [c * kk, columns]);
                for (int gi = 0; gi < groups; gi++)
                    backend.Gemm(true, false, rowsPerGroup, columns, og,
                        w, w.offset + gi * og * rowsPerGroup, rowsPerGroup,
                        gT, gi * og * columns, columns,
                        dcolTensor, gi * rowsPerGroup * columns, columns);
                dInput = Zeros((int[])input.shape.Clone(), dtype);
                backend.Col2Im(dcolTensor, g, dInput);
            }
            if (bias is { requiresGrad: true })
            {
                dBias = Uninitialized(dtype, [o]);
                backend.Sum(gT, dBias, o, columns, 1);
            }
            gT.Dispose();
            return bias != null ? [dInput, dWeight, dBias] : [dInput, dWeight];
        });
    }

    /// <summary>Max pooling over [N, C, H, W]; the stride defaults to the kernel size, padding counts as −∞.</summary>
    public static Tensor MaxPool2d(Tensor input, (int H, int W) kernel, (int H, int W)? stride = null, (int H, int W)? padding = null, (int H, int W)? dilation = null)
    {
        var g = PoolGeometry("max_pool2d", input, kernel, stride, padding, dilation ?? (1, 1));
        var x = input.Contiguous();
        var y = Uninitialized(input.DType, [g.Batch, g.Channels, g.OutHeight, g.OutWidth]);
        // Without a graph nothing will ask where each maximum was: the values-only kernel skips the indices.
        if (!(Autograd.NoGrad.IsEnabled && input.requiresGrad))
        {
            TensorKernels.For(input.DType).MaxPoolForward(x, g, y, null);
            return y;
        }
        var argmaxTensor = Uninitialized(DType.Int32, [y.NumEl]);
        TensorKernels.For(input.DType).MaxPoolForward(x, g, y, argmaxTensor.ArrayOf<int>());
        return Record(y, "max_pool2d", input, grad =>
        {
            var gc = grad.Contiguous();
            var dx = Zeros((int[])input.shape.Clone(), input.DType);
            TensorKernels.For(input.DType).MaxPoolBackward(gc, argmaxTensor.ArrayOf<int>(), g, dx);
            return dx;
        });
    }

    /// <summary>Average pooling over [N, C, H, W]; padded cells count in the divisor unless <paramref name="countIncludePad"/> is false.</summary>
    public static Tensor AvgPool2d(Tensor input, (int H, int W) kernel, (int H, int W)? stride = null, (int H, int W)? padding = null, bool countIncludePad = true)
    {
        var g = PoolGeometry("avg_pool2d", input, kernel, stride, padding, (1, 1));
        var x = input.Contiguous();
        var y = Uninitialized(input.DType, [g.Batch, g.Channels, g.OutHeight, g.OutWidth]);
        TensorKernels.For(input.DType).AvgPoolForward(x, g, y, countIncludePad);
        return Record(y, "avg_pool2d", input, grad =>
        {
            var gc = grad.Contiguous();
            var dx = Zeros((int[])input.shape.Clone(), input.DType);
            TensorKernels.For(input.DType).AvgPoolBackward(gc, g, dx, countIncludePad);
            return dx;
        });
    }

    /// <summary>Averages each [H, W] plane into an output grid of the given size (torch adaptive_avg_pool2d).</summary>
    public static Tensor AdaptiveAvgPool2d(Tensor input, (int H, int W) outputSize)
    {
        RequireFloat("adaptive_avg_pool2d", input);
        if (input.Rank != 4) throw new ArgumentException($"adaptive_avg_pool2d: input must be [N, C, H, W], got shape {ShapeUtil.Format(input.shape)}");
        if (outputSize.H <= 0 || outputSize.W <= 0) throw new ArgumentException($"adaptive_avg_pool2d: output size ({outputSize.H}, {outputSize.W}) must be positive");
        int n = input.shape[0], c = input.shape[1], h = input.shape[2], w = input.shape[3];
        var x = input.Contiguous();
        var y = Uninitialized(input.DType, [n, c, outputSize.H, outputSize.W]);
        TensorKernels.For(input.DType).AdaptiveAvgPoolForward(x, n * c, h, w, outputSize.H, outputSize.W, y);
        return Record(y, "adaptive_avg_pool2d", input, grad =>
        {
            var gc = grad.Contiguous();
            var dx = Zeros((int[])input.shape.Clone(), input.DType);
            TensorKernels.For(input.DType).AdaptiveAvgPoolBackward(gc, n * c, h, w, outputSize.H, outputSize.W, dx);
            return dx;
        });
    }

    /// <summary>
    /// relu(conv2d(input, weight)·scale[o] + shift[o] + residual) in one pass over the output, for inference: an
    /// evaluation-mode batch norm after the convolution is a scale and a shift (and a bias folds into the shift), a
    /// ResNet block's skip connection is the residual ([N, O, outH, outW]). Every part but the weight is optional.
    /// No graph is recorded, so it refuses inputs that would need gradients; training composes the ops instead.
    /// </summary>
    public static Tensor FusedConv2d(Tensor input, Tensor weight, Tensor? scale = null, Tensor? shift = null, Tensor? residual = null, bool relu = false,
        (int H, int W)? stride = null, (int H, int W)? padding = null, (int H, int W)? dilation = null, int groups = 1)
    {
        var g = ConvGeometry("fused_conv2d", input, weight, stride, padding, dilation, groups);
        int o = weight.shape[0];
        if (scale != null) RequireChannelVector("fused_conv2d", "scale", input, scale, o);
        if (shift != null) RequireChannelVector("fused_conv2d", "shift", input, shift, o);
        int[] outShape = [g.Batch, o, g.OutHeight, g.OutWidth];
        if (residual != null)
        {
            RequireFloat("fused_conv2d", input, residual);
            if (!residual.shape.AsSpan().SequenceEqual(outShape))
                throw new ArgumentException($"fused_conv2d: residual shape {ShapeUtil.Format(residual.shape)} does not match the output shape {ShapeUtil.Format(outShape)}");
        }
        if (Autograd.NoGrad.IsEnabled && (input.requiresGrad || weight.requiresGrad || scale is { requiresGrad: true } || shift is { requiresGrad: true } || residual is { requiresGrad: true }))
            throw new InvalidOperationException("fused_conv2d is for inference and records no gradients: run it under no_grad, or compose conv2d, batch_norm, add and relu to train");
        var result = Uninitialized(input.DType, outShape);
        TensorKernels.For(input.DType).Conv2dForward(input.Contiguous(), g, weight.Contiguous(), o, groups, result,
            scale?.Contiguous(), shift?.Contiguous(), residual?.Contiguous(), relu);
        return result;
    }

    /// <summary>flipped[c, o, i, j] = w[o, c, kH − 1 − i, kW − 1 − j]: the weight of the convolution that is a unit-stride convolution's transpose.</summary>
    private static void FlipKernel<T>(Tensor w, Tensor flipped) where T : unmanaged
    {
        int o = w.shape[0], c = w.shape[1], kh = w.shape[2], kw = w.shape[3];
        var source = w.AsSpan<T>();
        var target = flipped.AsSpan<T>();
        for (int oc = 0; oc < o; oc++)
            for (int ic = 0; ic < c; ic++)
                for (int i = 0; i < kh; i++)
                    for (int j = 0; j < kw; j++)
                        target[((ic * o + oc) * kh + kh - 1 - i) * kw + kw - 1 - j] = source[((oc * c + ic) * kh + i) * kw + j];
    }

    /// <summary>Checks a convolution's input and weight and returns its geometry.</summary>
    private static Conv2dGeometry ConvGeometry(string op, Tensor input, Tensor weight, (int H, int W)? stride, (int H, int W)? padding, (int H, int W)? dilation, int groups)
    {
        RequireFloat(op, input, weight);
        if (input.Rank != 4) throw new ArgumentException($"{op}: input must be [N, C, H, W], got shape {ShapeUtil.Format(input.shape)}");
        if (weight.Rank != 4) throw new ArgumentException($"{op}: weight must be [out_channels, in_channels/groups, kH, kW], got shape {ShapeUtil.Format(weight.shape)}");
        var (sh, sw) = stride ?? (1, 1);
        var (ph, pw) = padding ?? (0, 0);
        var (dh, dw) = dilation ?? (1, 1);
        if (sh <= 0 || sw <= 0 || dh <= 0 || dw <= 0 || ph < 0 || pw < 0)
            throw new ArgumentException($"{op}: stride ({sh}, {sw}) and dilation ({dh}, {dw}) must be positive and padding ({ph}, {pw}) non-negative");
        int n = input.shape[0], c = input.shape[1], o = weight.shape[0];
        if (c == 0) throw new ArgumentException($"{op}: input shape {ShapeUtil.Format(input.shape)} has no channels");
        if (groups <= 0 || c % groups != 0 || o % groups != 0)
            throw new ArgumentException($"{op}: groups {groups} must divide input channels {c} and output channels {o}");
        if (weight.shape[1] != c / groups)
            throw new ArgumentException($"{op}: input shape {ShapeUtil.Format(input.shape)} has {c} channels, but weight shape {ShapeUtil.Format(weight.shape)} expects {weight.shape[1] * groups} (groups={groups})");
        var g = new Conv2dGeometry(n, c, input.shape[2], input.shape[3], weight.shape[2], weight.shape[3], sh, sw, ph, pw, dh, dw);
        if (g.OutHeight <= 0 || g.OutWidth <= 0)
            throw new ArgumentException($"{op}: input {ShapeUtil.Format(input.shape)} is too small for kernel {weight.shape[2]}x{weight.shape[3]} with padding ({ph}, {pw}) and dilation ({dh}, {dw})");
        return g;
    }

    private static void RequireChannelVector(string op, string name, Tensor input, Tensor vector, int channels)
    {
        RequireFloat(op, input, vector);
        if (vector.Rank != 1 || vector.shape[0] != channels)
            throw new ArgumentException($"{op}: {name} shape {ShapeUtil.Format(vector.shape)} does not match {channels} output channels");
    }

    private static Conv2dGeometry PoolGeometry(string op, Tensor input, (int H, int W) kernel, (int H, int W)? stride, (int H, int W)? padding, (int H, int W) dilation)
    {
        RequireFloat(op, input);
        if (input.Rank != 4) throw new ArgumentException($"{op}: input must be [N, C, H, W], got shape {ShapeUtil.Format(input.shape)}");
        var (sh, sw) = stride ?? kernel;
        var (ph, pw) = padding ?? (0, 0);
        if (kernel.H <= 0 || kernel.W <= 0 || sh <= 0 || sw <= 0)
            throw new ArgumentException($"{op}: kernel ({kernel.H}, {kernel.W}) and stride ({sh}, {sw}) must be positive");
        if (ph * 2 > kernel.H || pw * 2 > kernel.W)
            throw new ArgumentException($"{op}: padding ({ph}, {pw}) must be at most half the kernel size ({kernel.H}, {kernel.W})");
        var g = new Conv2dGeometry(input.shape[0], input.shape[1], input.shape[2], input.shape[3], kernel.H, kernel.W, sh, sw, ph, pw, dilation.H, dilation.W);
        if (g.OutHeight <= 0 || g.OutWidth <= 0)
            throw new ArgumentException($"{op}: input {ShapeUtil.Format(input.shape)} is too small for kernel ({kernel.H}, {kernel.W})");
        return g;
    }
}
