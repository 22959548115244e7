using Sapling.Autograd;
using Sapling.Backends;
using Sapling.Quantization;

namespace Sapling;

public sealed partial class Tensor
{
    /// <summary>
    /// y = x·Wᵀ + b with an int8 weight and dynamically int8-quantised activations (one scale per row of x), summed in
    /// int32 and dequantised to float32 (PyTorch's dynamic quantized Linear). Inference only: no gradient is recorded,
    /// and an input that requires grad under grad mode is refused.
    /// </summary>
    public static Tensor QuantizedLinear(Tensor input, QuantizedWeight weight, Tensor? bias = null)
    {
        ArgumentNullException.ThrowIfNull(weight);
        RequireFloat32("quantized_linear", input);
        if (bias != null) RequireFloat32("quantized_linear", bias);
        if (NoGrad.IsEnabled && input.RequiresGrad)
            throw new InvalidOperationException("quantized_linear: int8 layers are for inference and have no gradient; run under NoGrad, or train the float32 model and quantize it again");
        int k = weight.InFeatures, n = weight.OutFeatures;
        if (input.Rank == 0 || input.shape[^1] != k)
            throw new ArgumentException($"quantized_linear: input shape {ShapeUtil.Format(input.shape)} must end in {k}");
        if (bias != null && (bias.Rank != 1 || bias.shape[0] != n))
            throw new ArgumentException($"quantized_linear: bias shape {ShapeUtil.Format(bias.shape)} does not match {n} outputs");
        var x = input.Contiguous();
        int m = x.NumEl / k;
        var outShape = (int[])input.shape.Clone();
        outShape[^1] = n;
        var y = Uninitialized(DType.Float32, outShape);
        var b = bias?.Contiguous();
        Backend.Current.Int8Linear(x.FloatArray, x.offset, m, weight.Packed, b?.FloatArray, b?.offset ?? 0, y.FloatArray);
        return y;
    }

    /// <summary>
    /// 2-D convolution (groups = 1) with an int8 weight [out, in, kH, kW]: the patches are unfolded, each output
    /// position's patch is quantised as one row and multiplied by <see cref="QuantizedLinear"/>'s kernel.
    /// </summary>
    public static Tensor QuantizedConv2d(Tensor input, QuantizedWeight weight, Tensor? bias = null,
        (int H, int W)? stride = null, (int H, int W)? padding = null, (int H, int W)? dilation = null)
    {
        ArgumentNullException.ThrowIfNull(weight);
        RequireFloat32("quantized_conv2d", input);
        if (bias != null) RequireFloat32("quantized_conv2d", bias);
        if (NoGrad.IsEnabled && input.RequiresGrad)
            throw new InvalidOperationException("quantized_conv2d: int8 layers are for inference and have no gradient; run under NoGrad, or train the float32 model and quantize it again");
        var ws = weight.Shape;
        if (input.Rank != 4 || ws.Length != 4) throw new ArgumentException($"quantized_conv2d: input must be [N, C, H, W] and weight [out, in, kH, kW], got {ShapeUtil.Format(input.shape)} and {ShapeUtil.Format(ws)}");
        if (input.shape[1] != ws[1]) throw new ArgumentException($"quantized_conv2d: input shape {ShapeUtil.Format(input.shape)} has {input.shape[1]} channels, the weight {ShapeUtil.Format(ws)} expects {ws[1]}");
        var (sh, sw) = stride ?? (1, 1);
        var (ph, pw) = padding ?? (0, 0);
        var (dh, dw) = dilation ?? (1, 1);
        int n = input.shape[0], c = input.shape[1], o = ws[0];
        var g = new Conv2dGeometry(n, c, input.shape[2], input.shape[3], ws[2], ws[3], sh, sw, ph, pw, dh, dw);
        if (g.OutHeight <= 0 || g.OutWidth <= 0)
            throw new ArgumentException($"quantized_conv2d: input {ShapeUtil.Format(input.shape)} is too small for kernel {ws[2]}x{ws[3]}");
        var x = input.Contiguous();
        var b = bias?.Contiguous();
        if (b != null && (b.Rank != 1 || b.shape[0] != o))
            throw new ArgumentException($"quantized_conv2d: bias shape {ShapeUtil.Format(b.shape)} does not match {o} output channels");
        // The kernel gathers each output position's patch itself and writes channels last: [N, outH, outW, out].
        using var flat = Uninitialized(DType.Float32, [n, g.OutHeight, g.OutWidth, o]);
        if (g.Channels * g.KernelH * g.KernelW != weight.InFeatures)
            throw new ArgumentException($"int8 conv2d: patches of {g.Channels}×{g.KernelH}×{g.KernelW} do not match a weight of {weight.InFeatures} inputs");
        Backend.Current.Int8Conv2d(x.FloatArray, x.offset, g, weight.Packed, b?.FloatArray, b?.offset ?? 0, flat.FloatArray);
        using var view = flat.Permute(0, 3, 1, 2);
        return view.ContiguousCopy();
    }

    /// <summary>Rows of an int8 table [num, dim] for integer ids, dequantised (values × row scale) to float32 [..., dim].</summary>
    public static Tensor QuantizedEmbedding(Tensor ids, QuantizedWeight table)
    {
        ArgumentNullException.ThrowIfNull(table);
        if (!ids.DType.IsIndexType()) throw new ArgumentException($"quantized_embedding: ids must be int32 or int64, got {ids.DType.Name()}");
        int num = table.OutFeatures, dim = table.InFeatures;
        var index = ids.DType == DType.Int64 ? ids.ToArray<long>() : ids.ToArray<int>().Select(i => (long)i).ToArray();
        var outShape = ids.shape.Append(dim).ToArray();
        var y = Uninitialized(DType.Float32, outShape);
        foreach (long id in index)
            if (id < 0 || id >= num) throw new ArgumentException($"quantized_embedding: id {id} is outside the table of {num} rows");
        Backend.Current.Int8Embedding(table.Packed, index, y.FloatArray);
        return y;
    }
}
