namespace Sapling.NN;

/// <summary>Averages each channel into a fixed output grid whatever the input size (e.g. (1, 1) before a classifier head).</summary>
public sealed class AdaptiveAvgPool2d((int H, int W) outputSize) : Module<Tensor, Tensor>
{
    /// <summary>
    /// Creates the layer with a square output grid of <paramref name="outputSize"/> × <paramref name="outputSize"/>.
    /// </summary>
    public AdaptiveAvgPool2d(int outputSize) : this((outputSize, outputSize))
    {
    }

    /// <summary>The output grid (height, width).</summary>
    public (int H, int W) OutputSize => outputSize;

    /// <summary>
    /// Averages input [N, C, H, W] into [N, C, OutputSize.H, OutputSize.W] (PyTorch's <c>nn.AdaptiveAvgPool2d</c>).
    /// </summary>
    public override Tensor Forward(Tensor input) => Tensor.AdaptiveAvgPool2d(input, outputSize);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"output_size=({outputSize.H}, {outputSize.W})";
}
