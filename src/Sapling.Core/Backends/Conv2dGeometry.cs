namespace Sapling.Backends;

/// <summary>Geometry of a 2-D convolution or pooling window over an [N, C, H, W] input.</summary>
public readonly record struct Conv2dGeometry(
    int Batch, int Channels, int Height, int Width,
    int KernelH, int KernelW, int StrideH, int StrideW, int PadH, int PadW, int DilationH, int DilationW)
{
    // Stored once: kernels read these in their innermost loops, where recomputing the divisions cost 10x. A window wider
    // than the padded input gives 0 (integer division rounds toward zero, so the formula alone would give 1 for spans
    // down to −stride + 1, and kernels would read outside the image).
    /// <summary>
    /// Output rows: (Height + 2·PadH − DilationH·(KernelH − 1) − 1) / StrideH + 1, rounded down, or 0 when the
    /// window is larger than the padded input.
    /// </summary>
    public int OutHeight { get; } = OutputSize(Height, KernelH, StrideH, PadH, DilationH);
    /// <summary>
    /// Output columns: (Width + 2·PadW − DilationW·(KernelW − 1) − 1) / StrideW + 1, rounded down, or 0 when the
    /// window is larger than the padded input.
    /// </summary>
    public int OutWidth { get; } = OutputSize(Width, KernelW, StrideW, PadW, DilationW);
    /// <summary>Output positions per channel: <see cref="OutHeight"/> × <see cref="OutWidth"/>.</summary>
    public int OutPlane => OutHeight * OutWidth;

    private static int OutputSize(int size, int kernel, int stride, int pad, int dilation)
    {
        long span = (long)size + 2L * pad - (long)dilation * (kernel - 1) - 1;
        return span < 0 ? 0 : (int)(span / stride + 1);
    }
}
