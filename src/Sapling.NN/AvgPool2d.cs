namespace Sapling.NN;

public sealed class AvgPool2d((int H, int W) kernelSize, (int H, int W)? stride = null, (int H, int W)? padding = null, bool countIncludePad = true) : Module<Tensor, Tensor>
{
    public AvgPool2d(int kernelSize, int? stride = null, int padding = 0)
        : this((kernelSize, kernelSize), stride is int s ? (s, s) : null, (padding, padding))
    {
    }

    public override Tensor Forward(Tensor input) => Tensor.AvgPool2d(input, kernelSize, stride, padding, countIncludePad);

    protected override string ExtraRepr() => $"kernel_size=({kernelSize.H}, {kernelSize.W}), stride=({(stride ?? kernelSize).H}, {(stride ?? kernelSize).W})";
}
