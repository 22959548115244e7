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
        var colTensor = Uninitialized(DType.Float32, [c * kk, columns]);
        var col = colTensor.FloatArray;
        var wa = w.FloatArray;
        var kernels = Backend.Current;
        kernels.Im2Col(x.FloatArray, x.offset, g, col);
        var yT = Uninitialized(DType.Float32, [o, columns]);
        for (int gi = 0; gi < groups; gi++)
            kernels.Gemm(false, false, og, columns, rowsPerGroup, 1f,
                wa, w.offset + gi * og * rowsPerGroup, rowsPerGroup,
                col, gi * rowsPerGroup * columns, columns, 0f,
                yT.FloatArray, gi * og * columns, columns);
        if (bias != null)
        {
            var bs = bias.Contiguous().AsSpan();
            var ys = yT.AsSpan();
            for (int oc = 0; oc < o; oc++) System.Numerics.Tensors.TensorPrimitives.Add(ys.Slice(oc * columns, columns), bs[oc], ys.Slice(oc * columns, columns));
        }
        Tensor result;
        using (Autograd.NoGrad.Enter())
        using (var view = yT.Reshape(o, n, g.OutHeight, g.OutWidth).Permute(1, 0, 2, 3))
            result = view.ContiguousCopy();
        yT.Dispose();

        var inputs = bias != null ? new[] { input, weight, bias } : new[] { input, weight };
        return Record(result, "conv2d", inputs, grad =>
        {
            var gT = grad.Permute(1, 0, 2, 3).ContiguousCopy();
            var gs = gT.FloatArray;
            Tensor? dInput = null, dWeight = null, dBias = null;
            // Read the patches through their tensor so a scope that already released them is reported, not reused.
            var patches = colTensor.FloatArray;
            var weights = w.FloatArray;
            var backend = Backend.Current;
            if (weight.requiresGrad)
            {
                dWeight = Uninitialized(DType.Float32, (int[])weight.shape.Clone());
                for (int gi = 0; gi < groups; gi++)
                    backend.Gemm(false, true, og, rowsPerGroup, columns, 1f,
                        gs, gi * og * columns, columns,
                        patches, gi * rowsPerGroup * columns, columns, 0f,
                        dWeight.FloatArray, gi * og * rowsPerGroup, rowsPerGroup);
            }
            if (input.requiresGrad)
            {
                using var dcolTensor = Uninitialized(DType.Float32, [c * kk, columns]);
                var dcol = dcolTensor.FloatArray;
                for (int gi = 0; gi < groups; gi++)
                    backend.Gemm(true, false, rowsPerGroup, columns, og, 1f,
                        weights, w.offset + gi * og * rowsPerGroup, rowsPerGroup,
                        gs, gi * og * columns, columns, 0f,
                        dcol, gi * rowsPerGroup * columns, columns);
                dInput = Zeros((int[])input.shape.Clone());
                backend.Col2Im(dcol, g, dInput.FloatArray);
            }
            if (bias is { requiresGrad: true })
            {
                dBias = Uninitialized(DType.Float32, [o]);
                var db = dBias.AsSpan();
                for (int oc = 0; oc < o; oc++) db[oc] = System.Numerics.Tensors.TensorPrimitives.Sum(gs.AsSpan(oc * columns, columns));
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
        var y = Uninitialized(DType.Float32, [g.Batch, g.Channels, g.OutHeight, g.OutWidth]);
        var argmaxTensor = Uninitialized(DType.Int32, [y.NumEl]);
        var argmax = argmaxTensor.ArrayOf<int>();
        Backend.Current.MaxPoolForward(x.FloatArray, x.offset, g, y.FloatArray, argmax);
        return Record(y, "max_pool2d", input, grad =>
        {
            var gc = grad.Contiguous();
            var dx = Zeros((int[])input.shape.Clone());
            Backend.Current.MaxPoolBackward(gc.FloatArray, gc.offset, argmaxTensor.ArrayOf<int>(), g, dx.FloatArray);
            return dx;
        });
    }

    /// <summary>Average pooling over [N, C, H, W]; padded cells count in the divisor unless <paramref name="countIncludePad"/> is false.</summary>
    public static Tensor AvgPool2d(Tensor input, (int H, int W) kernel, (int H, int W)? stride = null, (int H, int W)? padding = null, bool countIncludePad = true)
    {
        var g = PoolGeometry("avg_pool2d", input, kernel, stride, padding, (1, 1));
        var x = input.Contiguous();
        var y = Uninitialized(DType.Float32, [g.Batch, g.Channels, g.OutHeight, g.OutWidth]);
        Backend.Current.AvgPoolForward(x.FloatArray, x.offset, g, y.FloatArray, countIncludePad);
        return Record(y, "avg_pool2d", input, grad =>
        {
            var gc = grad.Contiguous();
            var dx = Zeros((int[])input.shape.Clone());
            Backend.Current.AvgPoolBackward(gc.FloatArray, gc.offset, g, dx.FloatArray, countIncludePad);
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
        var y = Uninitialized(DType.Float32, [n, c, outputSize.H, outputSize.W]);
        Backend.Current.AdaptiveAvgPoolForward(x.FloatArray, x.offset, n * c, h, w, outputSize.H, outputSize.W, y.FloatArray);
        return Record(y, "adaptive_avg_pool2d", input, grad =>
        {
            var gc = grad.Contiguous();
            var dx = Zeros((int[])input.shape.Clone());
            Backend.Current.AdaptiveAvgPoolBackward(gc.FloatArray, gc.offset, n * c, h, w, outputSize.H, outputSize.W, dx.FloatArray);
            return dx;
        });
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
