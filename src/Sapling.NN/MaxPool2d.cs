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
