namespace Sapling.NN;

/// <summary>
/// Average pooling over [N, C, H, W] (PyTorch's <c>nn.AvgPool2d</c>): each output cell is its window's mean.
/// </summary>
/// <param name="kernelSize">Window (height, width).</param>
/// <param name="stride">Step between windows; null means the kernel size (non-overlapping windows).</param>
/// <param name="padding">Zero cells added on each side of H and W; null means none.</param>
/// <param name="countIncludePad">Whether padded cells count in each window's divisor (PyTorch's default).</param>
public sealed class AvgPool2d((int H, int W) kernelSize, (int H, int W)? stride = null, (int H, int W)? padding = null, bool countIncludePad = true) : Module<Tensor, Tensor>
{
    /// <summary>
    /// Creates the layer with a square window, stride (defaulting to the window) and padding; padded cells count in the
    /// divisor.
    /// </summary>
    public AvgPool2d(int kernelSize, int? stride = null, int padding = 0)
        : this((kernelSize, kernelSize), stride is int s ? (s, s) : null, (padding, padding))
    {
    }

    /// <summary>
    /// Pools input [N, C, H, W] to [N, C, H', W'], H' = ⌊(H + 2·padH − kH) / strideH⌋ + 1 (W' alike).
    /// </summary>
    public override Tensor Forward(Tensor input) => Tensor.AvgPool2d(input, kernelSize, stride, padding, countIncludePad);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"kernel_size=({kernelSize.H}, {kernelSize.W}), stride=({(stride ?? kernelSize).H}, {(stride ?? kernelSize).W})";
}
