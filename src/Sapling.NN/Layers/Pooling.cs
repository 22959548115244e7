namespace Sapling.NN;

public sealed class MaxPool2d((int H, int W) kernelSize, (int H, int W)? stride = null, (int H, int W)? padding = null) : Module<Tensor, Tensor>
{
    public MaxPool2d(int kernelSize, int? stride = null, int padding = 0)
        : this((kernelSize, kernelSize), stride is int s ? (s, s) : null, (padding, padding))
    {
    }

    // Read by exporters, which must write the same window geometry.
    public (int H, int W) KernelSize => kernelSize;
    public (int H, int W) Stride => stride ?? kernelSize;
    public (int H, int W) Padding => padding ?? (0, 0);

    public override Tensor Forward(Tensor input) => Tensor.MaxPool2d(input, kernelSize, stride, padding);

    protected override string ExtraRepr() => $"kernel_size=({kernelSize.H}, {kernelSize.W}), stride=({(stride ?? kernelSize).H}, {(stride ?? kernelSize).W})";
}

public sealed class AvgPool2d((int H, int W) kernelSize, (int H, int W)? stride = null, (int H, int W)? padding = null, bool countIncludePad = true) : Module<Tensor, Tensor>
{
    public AvgPool2d(int kernelSize, int? stride = null, int padding = 0)
        : this((kernelSize, kernelSize), stride is int s ? (s, s) : null, (padding, padding))
    {
    }

    public override Tensor Forward(Tensor input) => Tensor.AvgPool2d(input, kernelSize, stride, padding, countIncludePad);

    protected override string ExtraRepr() => $"kernel_size=({kernelSize.H}, {kernelSize.W}), stride=({(stride ?? kernelSize).H}, {(stride ?? kernelSize).W})";
}

/// <summary>Averages each channel into a fixed output grid whatever the input size (e.g. (1, 1) before a classifier head).</summary>
public sealed class AdaptiveAvgPool2d((int H, int W) outputSize) : Module<Tensor, Tensor>
{
    public AdaptiveAvgPool2d(int outputSize) : this((outputSize, outputSize))
    {
    }

    public (int H, int W) OutputSize => outputSize;

    public override Tensor Forward(Tensor input) => Tensor.AdaptiveAvgPool2d(input, outputSize);

    protected override string ExtraRepr() => $"output_size=({outputSize.H}, {outputSize.W})";
}

/// <summary>Flattens dimensions startDim..endDim into one (default: everything after the batch dimension).</summary>
public sealed class Flatten(int startDim = 1, int endDim = -1) : Module<Tensor, Tensor>
{
    public int StartDim => startDim;
    public int EndDim => endDim;

    public override Tensor Forward(Tensor input) => input.Flatten(startDim, endDim);

    protected override string ExtraRepr() => $"start_dim={startDim}, end_dim={endDim}";
}
