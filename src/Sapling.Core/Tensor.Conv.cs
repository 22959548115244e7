using Sapling.Backends;

namespace Sapling;

public sealed partial class Tensor
{
    /// <summary>
    /// 2-D convolution (cross-correlation, as torch.nn.functional.conv2d) of input [N, C, H, W] with weight
    /// [O, C/groups, kH, kW] and optional bias [O]. The whole batch is unfolded once and multiplied in one GEMM per group.
    /// </summary>
    public static Tensor Conv2d(Tensor input, Tensor weight, Tensor? bias = null,
        (int H, int W)? stride = null, (int H, int W)? padding = null, (int H, int W)? dilation = null, int groups = 1)
    {
        RequireFloat("conv2d", input, weight);
        if (bias != null) RequireFloat("conv2d", input, bias);
        if (input.Rank != 4) throw new ArgumentException($"conv2d: input must be [N, C, H, W], got shape {ShapeUtil.Format(input.shape)}");
        if (weight.Rank != 4) throw new ArgumentException($"conv2d: weight must be [out_channels, in_channels/groups, kH, kW], got shape {ShapeUtil.Format(weight.shape)}");
        var (sh, sw) = stride ?? (1, 1);
        var (ph, pw) = padding ?? (0, 0);
        var (dh, dw) = dilation ?? (1, 1);
        if (sh <= 0 || sw <= 0 || dh <= 0 || dw <= 0 || ph < 0 || pw < 0)
            throw new ArgumentException($"conv2d: stride ({sh}, {sw}) and dilation ({dh}, {dw}) must be positive and padding ({ph}, {pw}) non-negative");
        int n = input.shape[0], c = input.shape[1], o = weight.shape[0];
        if (groups <= 0 || c % groups != 0 || o % groups != 0)
            throw new ArgumentException($"conv2d: groups {groups} must divide input channels {c} and output channels {o}");
        int cg = c / groups, og = o / groups;
        if (weight.shape[1] != cg)
            throw new ArgumentException($"conv2d: input shape {ShapeUtil.Format(input.shape)} has {c} channels, but weight shape {ShapeUtil.Format(weight.shape)} expects {weight.shape[1] * groups} (groups={groups})");
        if (bias != null && (bias.Rank != 1 || bias.shape[0] != o))
            throw new ArgumentException($"conv2d: bias shape {ShapeUtil.Format(bias.shape)} does not match {o} output channels");
        var g = new Conv2dGeometry(n, c, input.shape[2], input.shape[3], weight.shape[2], weight.shape[3], sh, sw, ph, pw, dh, dw);
        if (g.OutHeight <= 0 || g.OutWidth <= 0)
            throw new ArgumentException($"conv2d: input {ShapeUtil.Format(input.shape)} is too small for kernel {weight.shape[2]}x{weight.shape[3]} with padding ({ph}, {pw}) and dilation ({dh}, {dw})");

        var x = input.Contiguous();
        var w = weight.Contiguous();
        int kk = g.KernelH * g.KernelW;
        int columns = n * g.OutPlane;
        int rowsPerGroup = cg * kk;
        // The unfolded patches live as long as the graph needs them; as a tensor they return to the pool with its scope.
        var dtype = input.DType;
        var colTensor = Uninitialized(dtype, [c * kk, columns]);
        var kernels = TensorKernels.For(dtype);
        kernels.Im2Col(x, g, colTensor);
        var yT = Uninitialized(dtype, [o, columns]);
        for (int gi = 0; gi < groups; gi++)
            kernels.Gemm(false, false, og, columns, rowsPerGroup,
                w, w.offset + gi * og * rowsPerGroup, rowsPerGroup,
                colTensor, gi * rowsPerGroup * columns, columns,
                yT, gi * og * columns, columns);
        // Without a graph the patches are not needed again: back to the pool now, not when the scope ends (for a batch of
        // ImageNet images they are the largest buffer of the layer).
        bool recorded = Autograd.NoGrad.IsEnabled && (input.requiresGrad || weight.requiresGrad || bias is { requiresGrad: true });
        if (!recorded) colTensor.Dispose();
        if (bias != null)
        {
            if (dtype == DType.Float32) AddChannelBias<float>(yT, bias, columns);
            else AddChannelBias<double>(yT, bias, columns);
        }
        Tensor result;
        using (Autograd.NoGrad.Enter())
        using (var view = yT.Reshape(o, n, g.OutHeight, g.OutWidth).Permute(1, 0, 2, 3))
            result = view.ContiguousCopy();
        yT.Dispose();

        var inputs = bias != null ? new[] { input, weight, bias } : new[] { input, weight };
        return Record(result, "conv2d", inputs, grad =>
        {
            // The patches are read through their tensor, so a scope that already released them is reported, not reused.
            var gT = grad.Permute(1, 0, 2, 3).ContiguousCopy();
            Tensor? dInput = null, dWeight = null, dBias = null;
            var backend = TensorKernels.For(dtype);
            if (weight.requiresGrad)
            {
                dWeight = Uninitialized(dtype, (int[])weight.shape.Clone());
                for (int gi = 0; gi < groups; gi++)
                    backend.Gemm(false, true, og, rowsPerGroup, columns,
                        gT, gi * og * columns, columns,
                        colTensor, gi * rowsPerGroup * columns, columns,
                        dWeight, gi * og * rowsPerGroup, rowsPerGroup);
            }
            if (input.requiresGrad)
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

    /// <summary>Adds bias[oc] to row oc of the [out_channels, columns] product, in place.</summary>
    private static void AddChannelBias<T>(Tensor yT, Tensor bias, int columns) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var bs = bias.Contiguous().AsSpan<T>();
        var ys = yT.AsSpan<T>();
        for (int oc = 0; oc < bs.Length; oc++) System.Numerics.Tensors.TensorPrimitives.Add(ys.Slice(oc * columns, columns), bs[oc], ys.Slice(oc * columns, columns));
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
