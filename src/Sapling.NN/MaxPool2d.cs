namespace Sapling.NN;

/// <summary>
/// Max pooling over [N, C, H, W] (PyTorch's <c>nn.MaxPool2d</c>): each output cell is the largest value in its window;
/// padded cells count as −∞.
/// </summary>
/// <param name="kernelSize">Window (height, width).</param>
/// <param name="stride">Step between windows; null means the kernel size (non-overlapping windows).</param>
/// <param name="padding">Cells added on each side of H and W; null means none.</param>
public sealed class MaxPool2d((int H, int W) kernelSize, (int H, int W)? stride = null, (int H, int W)? padding = null) : Module<Tensor, Tensor>
{
    /// <summary>Creates the layer with a square window, stride (defaulting to the window) and padding.</summary>
    public MaxPool2d(int kernelSize, int? stride = null, int padding = 0)
        : this((kernelSize, kernelSize), stride is int s ? (s, s) : null, (padding, padding))
    {
    }

    // Read by exporters, which must write the same window geometry.
    /// <summary>Window (height, width).</summary>
    public (int H, int W) KernelSize => kernelSize;
    /// <summary>Step between windows; the kernel size when none was given.</summary>
    public (int H, int W) Stride => stride ?? kernelSize;
    /// <summary>Padding on each side of H and W; (0, 0) when none was given.</summary>
    public (int H, int W) Padding => padding ?? (0, 0);

    /// <summary>
    /// Pools input [N, C, H, W] to [N, C, H', W'], H' = ⌊(H + 2·padH − kH) / strideH⌋ + 1 (W' alike).
    /// </summary>
    public override Tensor Forward(Tensor input) => Tensor.MaxPool2d(input, kernelSize, stride, padding);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"kernel_size=({kernelSize.H}, {kernelSize.W}), stride=({(stride ?? kernelSize).H}, {(stride ?? kernelSize).W})";
}
