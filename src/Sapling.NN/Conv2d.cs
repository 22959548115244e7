using Sapling.Quantization;

namespace Sapling.NN;

/// <summary>2-D convolution over [N, C, H, W] with weight [out, in/groups, kH, kW] (PyTorch's layout and initialisation).</summary>
public sealed class Conv2d : Module<Tensor, Tensor>, IQuantizable
{
    public Conv2d(int inChannels, int outChannels, int kernelSize, int stride = 1, int padding = 0, int dilation = 1, int groups = 1, bool bias = true, Generator? generator = null)
        : this(inChannels, outChannels, (kernelSize, kernelSize), (stride, stride), (padding, padding), (dilation, dilation), groups, bias, generator)
    {
    }

    public Conv2d(int inChannels, int outChannels, (int H, int W) kernelSize, (int H, int W) stride, (int H, int W) padding, (int H, int W) dilation, int groups = 1, bool bias = true, Generator? generator = null)
    {
        if (groups <= 0 || inChannels % groups != 0 || outChannels % groups != 0)
            throw new ArgumentException($"Conv2d: groups {groups} must divide in_channels {inChannels} and out_channels {outChannels}");
        (InChannels, OutChannels, KernelSize, Stride, Padding, Dilation, Groups) = (inChannels, outChannels, kernelSize, stride, padding, dilation, groups);
        weight = RegisterParameter("weight", Init.KaimingUniform(Tensor.Empty(outChannels, inChannels / groups, kernelSize.H, kernelSize.W), a: MathF.Sqrt(5f), g: generator));
        if (bias)
        {
            int fanIn = inChannels / groups * kernelSize.H * kernelSize.W;
            float bound = 1f / MathF.Sqrt(fanIn);
            Bias = RegisterParameter("bias", Init.Uniform(Tensor.Empty(outChannels), -bound, bound, generator));
        }
    }

    public int InChannels { get; }
    public int OutChannels { get; }
    public (int H, int W) KernelSize { get; }
    public (int H, int W) Stride { get; }
    public (int H, int W) Padding { get; }
    public (int H, int W) Dilation { get; }
    public int Groups { get; }
    private Tensor? weight;

    public Tensor Weight => weight ?? throw QuantizedError("its float weight is gone (see Quantized)");

    /// <summary>The int8 weight once <see cref="Quantize"/> or <see cref="LoadQuantized"/> ran; null while float32.</summary>
    public QuantizedWeight? Quantized { get; private set; }
    public Tensor? Bias { get; }

    public override Tensor Forward(Tensor input)
    {
        if (Quantized == null) return Tensor.Conv2d(input, Weight, Bias, Stride, Padding, Dilation, Groups);
        if (Training) throw QuantizedError("it cannot be trained (call Eval() for inference)");
        return Tensor.QuantizedConv2d(input, Quantized, Bias, Stride, Padding, Dilation);
    }

    /// <summary>
    /// relu(norm(conv(input)) + residual), the unit ResNets repeat (<paramref name="residual"/> and the ReLU optional).
    /// In evaluation without a graph it is one pass (<see cref="Tensor.FusedConv2d"/>: the batch norm's running
    /// statistics become a per-channel scale and shift applied as each output tile is written); otherwise the modules
    /// and ops run one after another, so training and gradients are those of the composition.
    /// </summary>
    public Tensor Forward(Tensor input, BatchNorm norm, Tensor? residual = null, bool relu = false)
    {
        if (!CanFuse(input, norm, residual))
        {
            var y = norm.Forward(Forward(input));
            if (residual != null) y = y.Add(residual);
            return relu ? y.Relu() : y;
        }
        using (Autograd.NoGrad.Enter())
        {
            var (scale, shift) = norm.EvaluationAffine();
            if (Bias != null) shift.AddInPlace(Bias.Mul(scale));
            var result = Tensor.FusedConv2d(input, Weight, scale, shift, residual, relu, Stride, Padding, Dilation, Groups);
            scale.Dispose();
            shift.Dispose();
            return result;
        }
    }

    private bool CanFuse(Tensor input, BatchNorm norm, Tensor? residual)
    {
        if (Training || norm.Training || !norm.TracksRunningStats || Quantized != null || input.DType != Weight.DType) return false;
        // A graph would be recorded: the fused op has no backward.
        bool graph = Autograd.NoGrad.IsEnabled && (input.RequiresGrad || Weight.RequiresGrad || Bias is { RequiresGrad: true }
            || norm.Weight is { RequiresGrad: true } || norm.Bias is { RequiresGrad: true } || residual is { RequiresGrad: true });
        return !graph;
    }

    public void Quantize()
    {
        if (Quantized != null) throw new InvalidOperationException($"Conv2d({InChannels}, {OutChannels}) is already int8-quantized");
        // The int8 kernel multiplies one patch row by the whole weight; grouped convolutions would need one product per group.
        if (Groups != 1) throw new NotSupportedException($"Conv2d({InChannels}, {OutChannels}, groups={Groups}): only groups=1 can be int8-quantized");
        QuantizedWeight q;
        using (Autograd.NoGrad.Enter()) q = QuantizedWeight.Quantize(Weight.Contiguous());
        Use(q);
    }

    public void LoadQuantized(Tensor values, Tensor scale, string source)
    {
        if (Quantized != null) throw new InvalidOperationException($"{source}: Conv2d({InChannels}, {OutChannels}) is already int8-quantized");
        if (Groups != 1) throw new NotSupportedException($"{source}: Conv2d({InChannels}, {OutChannels}, groups={Groups}): only groups=1 can be int8-quantized");
        int[] expected = [OutChannels, InChannels, KernelSize.H, KernelSize.W];
        if (!values.Shape.SequenceEqual(expected))
            throw new InvalidDataException($"{source}: int8 weight shape {ShapeUtil.Format(values.Shape.ToArray())} does not match the layer's {ShapeUtil.Format(expected)}");
        Use(QuantizedWeight.FromInt8(values.Contiguous(), scale, source));
    }

    private void Use(QuantizedWeight q)
    {
        ReplaceWeightWithInt8(q.Shape, q.Scale);
        weight?.Dispose();
        weight = null;
        Quantized = q;
    }

    /// <summary>A state dict's "weight" of an int8 convolution: the values unpacked.</summary>
    protected override Tensor StateDictTensor(string name, Tensor registered) => name == "weight" && Quantized is { } q ? q.Values : registered;

    private InvalidOperationException QuantizedError(string what) =>
        new($"Conv2d({InChannels}, {OutChannels}) is int8-quantized: {what}; it runs inference only (train the float32 model and quantize it again)");

    protected override string ExtraRepr() =>
        $"{InChannels}, {OutChannels}, kernel_size=({KernelSize.H}, {KernelSize.W}), stride=({Stride.H}, {Stride.W})" +
        (Padding != (0, 0) ? $", padding=({Padding.H}, {Padding.W})" : "") +
        (Dilation != (1, 1) ? $", dilation=({Dilation.H}, {Dilation.W})" : "") +
        (Groups != 1 ? $", groups={Groups}" : "") + (Bias == null ? ", bias=False" : "");
}
