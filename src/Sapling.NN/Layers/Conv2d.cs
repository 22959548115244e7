namespace Sapling.NN;

/// <summary>2-D convolution over [N, C, H, W] with weight [out, in/groups, kH, kW] (PyTorch's layout and initialisation).</summary>
public sealed class Conv2d : Module<Tensor, Tensor>
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
        Weight = RegisterParameter("weight", Init.KaimingUniform(Tensor.Empty(outChannels, inChannels / groups, kernelSize.H, kernelSize.W), a: MathF.Sqrt(5f), g: generator));
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
    public Tensor Weight { get; }
    public Tensor? Bias { get; }

    public override Tensor Forward(Tensor input) => Tensor.Conv2d(input, Weight, Bias, Stride, Padding, Dilation, Groups);

    protected override string ExtraRepr() =>
        $"{InChannels}, {OutChannels}, kernel_size=({KernelSize.H}, {KernelSize.W}), stride=({Stride.H}, {Stride.W})" +
        (Padding != (0, 0) ? $", padding=({Padding.H}, {Padding.W})" : "") +
        (Dilation != (1, 1) ? $", dilation=({Dilation.H}, {Dilation.W})" : "") +
        (Groups != 1 ? $", groups={Groups}" : "") + (Bias == null ? ", bias=False" : "");
}
