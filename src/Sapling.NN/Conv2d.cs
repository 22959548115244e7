using Sapling.Quantization;

namespace Sapling.NN;

/// <summary>2-D convolution over [N, C, H, W] with weight [out, in/groups, kH, kW] (PyTorch's layout and initialisation).</summary>
public sealed class Conv2d : Module<Tensor, Tensor>, IQuantizable
{
    /// <summary>
    /// Creates the layer matching PyTorch's <c>nn.Conv2d</c> with square kernel, stride, padding and dilation. Weight
    /// Kaiming-uniform (a = √5) and bias uniform in ±1/√fan_in, as PyTorch initialises them.
    /// </summary>
    /// <param name="inChannels">Channels C of the input [N, C, H, W]; must be divisible by
    /// <paramref name="groups"/>.</param>
    /// <param name="outChannels">Channels of the output; must be divisible by <paramref name="groups"/>.</param>
    /// <param name="kernelSize">Kernel height and width.</param>
    /// <param name="stride">Step between kernel positions, both directions.</param>
    /// <param name="padding">Zeros added on every side of H and W.</param>
    /// <param name="dilation">Spacing between kernel taps.</param>
    /// <param name="groups">Input and output channels split into this many independent groups (depthwise when equal to
    /// C).</param>
    /// <param name="bias">Whether the layer adds a learned bias per output channel.</param>
    /// <param name="generator">Random source for the initial values; the global one when null.</param>
    public Conv2d(int inChannels, int outChannels, int kernelSize, int stride = 1, int padding = 0, int dilation = 1, int groups = 1, bool bias = true, Generator? generator = null)
        : this(inChannels, outChannels, (kernelSize, kernelSize), (stride, stride), (padding, padding), (dilation, dilation), groups, bias, generator)
    {
    }

    /// <summary>
    /// Creates the layer matching PyTorch's <c>nn.Conv2d</c> with separate (H, W) kernel size, stride, padding and
    /// dilation; throws when <paramref name="groups"/> does not divide both channel counts.
    /// </summary>
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

    /// <summary>Channels of the input [N, C, H, W].</summary>
    public int InChannels { get; }
    /// <summary>Channels of the output [N, out, H', W'].</summary>
    public int OutChannels { get; }
    /// <summary>Kernel (height, width).</summary>
    public (int H, int W) KernelSize { get; }
    /// <summary>Step between kernel positions (vertical, horizontal).</summary>
    public (int H, int W) Stride { get; }
    /// <summary>Zero padding added on each side (top/bottom, left/right).</summary>
    public (int H, int W) Padding { get; }
    /// <summary>Spacing between kernel taps (vertical, horizontal); 1 is an ordinary convolution.</summary>
    public (int H, int W) Dilation { get; }
    /// <summary>Number of channel groups convolved independently.</summary>
    public int Groups { get; }
    private Tensor? weight;

    /// <summary>
    /// The weight [out, in/groups, kH, kW]; throws once the layer is int8-quantized (see <see cref="Quantized"/>).
    /// </summary>
    public Tensor Weight => weight ?? throw QuantizedError("its float weight is gone (see Quantized)");

    /// <summary>The int8 weight once <see cref="Quantize"/> or <see cref="LoadQuantized"/> ran; null while float32.</summary>
    public QuantizedWeight? Quantized { get; private set; }
    /// <summary>The bias [out], or null when created with <c>bias: false</c>.</summary>
    public Tensor? Bias { get; }

    /// <summary>
    /// Convolves input [N, in, H, W] to [N, out, H', W'], H' = ⌊(H + 2·padH − dilH·(kH − 1) − 1) / strideH⌋ + 1 (W'
    /// alike). An int8-quantized layer runs its int8 kernel and throws in training mode.
    /// </summary>
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

    /// <inheritdoc/>
    /// <remarks>Only <c>groups = 1</c> is supported: the int8 kernel has no per-group product.</remarks>
    public void Quantize()
    {
        if (Quantized != null) throw new InvalidOperationException($"Conv2d({InChannels}, {OutChannels}) is already int8-quantized");
        // The int8 kernel multiplies one patch row by the whole weight; grouped convolutions would need one product per group.
        if (Groups != 1) throw new NotSupportedException($"Conv2d({InChannels}, {OutChannels}, groups={Groups}): only groups=1 can be int8-quantized");
        QuantizedWeight q;
        using (Autograd.NoGrad.Enter()) q = QuantizedWeight.Quantize(Weight.Contiguous());
        Use(q);
    }

    /// <inheritdoc/>
    /// <remarks>The values must be [out, in, kH, kW]; only <c>groups = 1</c> is supported.</remarks>
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

    /// <inheritdoc/>
    protected override string ExtraRepr() =>
        $"{InChannels}, {OutChannels}, kernel_size=({KernelSize.H}, {KernelSize.W}), stride=({Stride.H}, {Stride.W})" +
        (Padding != (0, 0) ? $", padding=({Padding.H}, {Padding.W})" : "") +
        (Dilation != (1, 1) ? $", dilation=({Dilation.H}, {Dilation.W})" : "") +
        (Groups != 1 ? $", groups={Groups}" : "") + (Bias == null ? ", bias=False" : "");
}
