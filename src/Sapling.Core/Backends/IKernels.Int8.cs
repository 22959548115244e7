using Sapling.Backends.Cpu;

namespace Sapling.Backends;

/// <summary>
/// Dynamic int8 inference: symmetric per-row quantisation and int8 × int8 products summed exactly in int32, then
/// dequantised. The weight is an <see cref="Int8PackedMatrix"/>: its values W[n, k] and per-channel scales, packed
/// once when the weight is made (a backend reads them through its accessors, or keeps its own copy).
/// </summary>
/// <remarks>
/// The quantisation rule every backend follows: for a row x, amax = max|x|; a row of zeros gets scale 1 and all-zero
/// values; NaN or infinity is refused; otherwise scale = amax/127 and q = clamp(round(x · (127/amax)), −127, 127), with
/// the product in float32 and round half to even (PyTorch's rule).
/// </remarks>
public partial interface IKernels
{
    /// <summary>Quantises each of <paramref name="rows"/> contiguous rows of length n into q [rows, n] and its scale into scales[row].</summary>
    void QuantizeRowsInt8(float[] x, int xOffset, int rows, int n, sbyte[] q, float[] scales);

    /// <summary>
    /// y[m, N] = (Σₖ quant(x)[m, k]·W[n, k])·(W.Scales[n]·rowScale[m]) + bias[n] for x [m, K] at
    /// <paramref name="xOffset"/>: the sum exact in int32, the dequantisation in float32 in that order; bias may be null.
    /// </summary>
    void Int8Linear(float[] x, int xOffset, int m, Int8PackedMatrix w, float[]? bias, int biasOffset, float[] y);

    /// <summary>
    /// A convolution (groups = 1) as <see cref="Int8Linear"/> over patches: row (n, oh, ow) is the patch that output
    /// position reads, in (c, ki, kj) order with 0 in the padding, quantised as one row. y is [N·outH·outW, out] (channels last).
    /// </summary>
    void Int8Conv2d(float[] x, int xOffset, Conv2dGeometry g, Int8PackedMatrix w, float[]? bias, int biasOffset, float[] y);

    /// <summary>y[i, j] = table[ids[i], j] · scales[ids[i]] for an int8 table [num, dim] (a quantised embedding; the ids are checked).</summary>
    void Int8Embedding(Int8PackedMatrix table, long[] ids, float[] y);
}
