namespace Sapling.Backends;

/// <summary>
/// What a convolution applies to each output as it writes it, while the output is still in cache:
/// y[n, o, p] = act(y[n, o, p]·Scale[o] + Shift[o] + Residual[n, o, p]), act = ReLU or identity. A missing scale is 1,
/// a missing shift or residual 0. A bias is a shift; an evaluation-mode batch norm is a scale and a shift; a ResNet
/// block's skip connection is the residual. Each array is read from its offset; the residual has the output's layout.
/// </summary>
public readonly record struct ConvEpilogue<T>(T[]? Scale, int ScaleOffset, T[]? Shift, int ShiftOffset, T[]? Residual, int ResidualOffset, bool Relu)
    where T : unmanaged
{
    /// <summary>
    /// True when the epilogue changes nothing (no scale, shift, residual or ReLU), so kernels can skip it.
    /// </summary>
    public bool IsIdentity => Scale == null && Shift == null && Residual == null && !Relu;
}
