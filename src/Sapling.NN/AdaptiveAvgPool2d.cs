namespace Sapling.NN;

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
