namespace Sapling.Backends;

/// <summary>Geometry of a 2-D convolution or pooling window over an [N, C, H, W] input.</summary>
public readonly record struct Conv2dGeometry(
    int Batch, int Channels, int Height, int Width,
    int KernelH, int KernelW, int StrideH, int StrideW, int PadH, int PadW, int DilationH, int DilationW)
{
    // Stored once: kernels read these in their innermost loops, where recomputing the divisions cost 10x. A window wider
    // than the padded input gives 0 (integer division rounds toward zero, so the formula alone would give 1 for spans
    // down to −stride + 1, and kernels would read outside the image).
    public int OutHeight { get; } = OutputSize(Height, KernelH, StrideH, PadH, DilationH);
    public int OutWidth { get; } = OutputSize(Width, KernelW, StrideW, PadW, DilationW);
    public int OutPlane => OutHeight * OutWidth;

    private static int OutputSize(int size, int kernel, int stride, int pad, int dilation)
    {
        long span = (long)size + 2L * pad - (long)dilation * (kernel - 1) - 1;
        return span < 0 ? 0 : (int)(span / stride + 1);
    }
}
