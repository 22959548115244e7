using System.Numerics;

namespace Sapling.Backends;

/// <summary>
/// The compute kernels over one floating-point element type: float for training and inference
/// (<see cref="IKernels"/>, with its fast and reference implementations), double for checking gradients and
/// numerics (<see cref="Reference.ReferenceKernels{T}"/> over double). The tensor layer checks arguments, chooses
/// layouts and records gradients; an implementation only computes.
/// </summary>
/// <remarks>
/// Buffers are arrays with the element offset where the data starts. Inputs are read from their offset; outputs are
/// fresh buffers written from element 0, and are overwritten unless the method says it adds into them. Row kernels
/// work on contiguous rows of length <c>n</c>.
/// </remarks>
public partial interface IComputeKernels<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>A short name for messages and benchmark output.</summary>
    string Name { get; }

    /// <summary>Row-major C = alpha·op(A)·op(B) + beta·C, with BLAS gemm's meaning of every argument; beta = 0 ignores what C held.</summary>
    void Gemm(bool transA, bool transB, int m, int n, int k,
        T alpha, T[] a, int aOffset, int lda, T[] b, int bOffset, int ldb, T beta, T[] c, int cOffset, int ldc);

    /// <summary>
    /// <see cref="Gemm"/> for each i in [0, aOffsets.Length): A and B start at aOffsets[i] and bOffsets[i], C at
    /// i·cStride. The products are independent, so a backend may run them side by side.
    /// </summary>
    void GemmBatched(bool transA, bool transB, int m, int n, int k,
        T alpha, T[] a, int[] aOffsets, int lda, T[] b, int[] bOffsets, int ldb, T beta, T[] c, int cStride, int ldc);

    /// <summary>y = f(x) over n elements.</summary>
    void Unary(UnaryOpKind op, T[] x, int xOffset, T[] y, int n);

    /// <summary>
    /// dx = dy·f′ for the activations whose gradient is one fused pass: Tanh and Sigmoid take their output as
    /// <paramref name="saved"/>, Relu and Silu their input. Other kinds have gradients composed of tensor ops.
    /// </summary>
    void UnaryBackward(UnaryOpKind op, T[] saved, int savedOffset, T[] dy, int dyOffset, T[] dx, int n);

    /// <summary>
    /// d = f(a, b) over a contiguous output of <paramref name="shape"/>, where a and b are views of that shape given by
    /// their strides (0 along broadcast dimensions).
    /// </summary>
    void Binary(BinaryOpKind op, int[] shape, T[] a, int aOffset, int[] aStrides, T[] b, int bOffset, int[] bStrides, T[] d);

    /// <summary>d = f(x, s), or f(s, x) when <paramref name="scalarFirst"/>, over n elements.</summary>
    void BinaryScalar(BinaryOpKind op, T[] x, int xOffset, T s, bool scalarFirst, T[] d, int n);

    /// <summary>GELU, x·Φ(x): exact (erf), or GPT-2's 0.5·x·(1 + tanh(√(2/π)(x + 0.044715x³))).</summary>
    void GeluForward(T[] x, int xOffset, T[] y, int n, bool tanhApproximation);

    /// <summary>
    /// dx = dy·GELU′(x) over n elements, from the forward input <paramref name="x"/>, for the same form (exact or tanh)
    /// as the forward pass.
    /// </summary>
    void GeluBackward(T[] x, int xOffset, T[] dy, int dyOffset, T[] dx, int n, bool tanhApproximation);

    /// <summary>Softmax (or log-softmax) of each row; a row of all −∞ gives NaN, as in PyTorch.</summary>
    void SoftmaxForward(T[] x, int xOffset, T[] y, int rows, int n, bool log);

    /// <summary>
    /// Softmax of each row over its first min(n, offset + q + 1) entries, where q = row mod <paramref name="queries"/>
    /// (query q of a causal score matrix sees keys 0 .. offset + q); the entries after them are 0. Equal to masking the
    /// later entries with −∞ and taking the softmax, without the mask. Its gradient is <see cref="SoftmaxBackward"/>'s.
    /// </summary>
    void CausalSoftmaxForward(T[] x, int xOffset, T[] y, int rows, int n, int queries, int offset);

    /// <summary>Input gradient from the forward's output <paramref name="y"/> (written from element 0).</summary>
    void SoftmaxBackward(T[] y, T[] dy, int dyOffset, T[] dx, int rows, int n, bool log);

    /// <summary>
    /// (x − mean)/√(var + eps)·w + b per row, with the biased variance; w and b may be null. Saves each row's mean
    /// and 1/√(var + eps) for the backward pass.
    /// </summary>
    void LayerNormForward(T[] x, int xOffset, T[]? w, int wOffset, T[]? b, int bOffset,
        T[] y, T[] mean, T[] rstd, int rows, int n, T eps);

    /// <summary>
    /// Per-channel mean and biased variance of x laid out [n, c, hw] (batch normalisation's statistics), the variance
    /// from the deviations of a second pass.
    /// </summary>
    void ChannelMoments(T[] x, int xOffset, int n, int c, int hw, T[] mean, T[] variance);

    /// <summary>y = x·scale[channel] + shift[channel] over [n, c, hw] (batch normalisation with its statistics folded in); y is written from element 0.</summary>
    void ChannelAffine(T[] x, int xOffset, T[] scale, T[] shift, T[] y, int n, int c, int hw);

    /// <summary>
    /// Batch normalisation's backward over [n, c, hw]: per channel Σdy into <paramref name="sumDy"/> and Σdy·x̂ (x̂ = (x − mean)·rstd)
    /// into <paramref name="sumDyXhat"/>, and, when dx is not null, the input gradient: with batch statistics
    /// (<paramref name="batchStatistics"/>) γ·rstd·(dy − Σdy/M − x̂·Σdy·x̂/M), M = n·hw; with fixed statistics γ·rstd·dy.
    /// A null γ is 1.
    /// </summary>
    void BatchNormBackward(T[] x, int xOffset, T[] dy, int dyOffset, T[] mean, T[] rstd, T[]? gamma, T[]? dx, T[] sumDy, T[] sumDyXhat,
        int n, int c, int hw, bool batchStatistics);

    /// <summary>Whichever of dx, dw and db is not null is written; dw and db are summed over rows.</summary>
    void LayerNormBackward(T[] x, int xOffset, T[]? w, int wOffset, T[] dy, int dyOffset, T[] mean, T[] rstd,
        T[]? dx, T[]? dw, T[]? db, int rows, int n);

    /// <summary>
    /// Root-mean-square normalisation per row: y = x·r·w with r = 1/√(mean(x²) + eps); saves each row's r.
    /// </summary>
    void RmsNormForward(T[] x, int xOffset, T[] w, int wOffset, T[] y, T[] rstd, int rows, int n, T eps);

    /// <summary>
    /// dx = r·(g − x·r²·mean(g·x)) with g = dy·w, and dw = Σ over rows of dy·x·r; whichever of dx and dw is not null
    /// is written.
    /// </summary>
    void RmsNormBackward(T[] x, int xOffset, T[] w, int wOffset, T[] dy, int dyOffset, T[] rstd, T[]? dx, T[]? dw, int rows, int n);

    /// <summary>
    /// Per-row loss −log softmax(x)[target], mixed as (1 − ε)·nll + ε·(mean over classes of −log softmax) with label
    /// smoothing ε; rows whose target is <paramref name="ignoreIndex"/> get 0. Saves each row's log-sum-exp and
    /// returns how many rows count.
    /// </summary>
    int CrossEntropyForward(T[] logits, int offset, long[] targets, T[] losses, T[] lse,
        int rows, int classes, long ignoreIndex, T smoothing);

    /// <summary>dx = rowScale[r]·(softmax − (1 − ε)·onehot − ε/C); ignored rows get 0.</summary>
    void CrossEntropyBackward(T[] logits, int offset, long[] targets, T[] lse, T[] rowScale, T[] dx,
        int rows, int classes, long ignoreIndex, T smoothing);

    /// <summary>
    /// Causal softmax(q·kᵀ·scale)·v for q [heads, t, d] and k, v [heads, s, d] (all from element 0): query i sees keys
    /// 0 .. past + i. With <paramref name="keyStart"/>, head h sees no key before keyStart[h / headsPerRow] (left
    /// padding), and a query that sees no key gives zeros. Writes output [heads, t, d] and each row's log-sum-exp.
    /// Head h's keys and values start at element h·<paramref name="kvHeadStride"/> (s·d when packed; a KV cache
    /// allocated for a longer context is read in place with its own stride). With <paramref name="kvGroups"/> &gt; 1
    /// (grouped-query attention) query head h reads key/value head h / kvGroups, so k and v hold heads / kvGroups heads.
    /// With <paramref name="window"/> &gt; 0 (sliding-window attention, Mistral) query i sees only its last
    /// <paramref name="window"/> keys, past + i − window + 1 .. past + i.
    /// </summary>
    void AttentionForward(T[] q, T[] k, T[] v, T[] output, T[] lse,
        int heads, int t, int s, int d, int past, T scale, int[]? keyStart, int headsPerRow, int kvHeadStride, int kvGroups = 1, int window = 0);

    /// <summary>
    /// Bidirectional softmax(q·kᵀ·scale)·v of an encoder batch, read in place: [batch, heads] heads of t queries and s
    /// keys of width d, laid out as the <see cref="HeadLayout"/>s say. Every query of batch row b sees keys
    /// 0 .. keyLengths[b] − 1 (all s without lengths; a row of length 0 averages all s values uniformly, as a padding
    /// bias on every key does). Writes output as [batch, t, heads, d], contiguous: the layout the next projection reads.
    /// </summary>
    void EncoderAttentionForward(T[] q, HeadLayout qLayout, T[] k, HeadLayout kLayout, T[] v, HeadLayout vLayout, T[] output,
        int batch, int heads, int t, int s, int d, T scale, int[]? keyLengths);

    /// <summary>Gradients of <see cref="AttentionForward"/> (without key starts) from its output and log-sum-exp.</summary>
    void AttentionBackward(T[] q, T[] k, T[] v, T[] output, T[] lse, T[] dOut,
        T[] dq, T[] dk, T[] dv, int heads, int t, int s, int d, int past, T scale);

    /// <summary>Sums the middle axis of a contiguous [outer, reduce, inner] block into [outer, inner].</summary>
    void Sum(T[] x, int xOffset, T[] y, int outer, int reduce, int inner);

    /// <summary>Maximum (or minimum) along the middle axis with the index of its first occurrence; a NaN wins, as in PyTorch.</summary>
    void ArgExtreme(T[] x, int xOffset, T[] values, long[] indices, int outer, int reduce, int inner, bool max);

    /// <summary>
    /// Convolution without bias: y [N, O, outH, outW] = Σ over (c, ki, kj) of w[o, c, ki, kj]·x[n, g·C/groups + c,
    /// oh·strideH − padH + ki·dilationH, ow·strideW − padW + kj·dilationW] (0 in the padding), where g is o's group and
    /// w is [O, C/groups, kH, kW]. The same values as <see cref="Im2Col"/> followed by a product per group; then
    /// <paramref name="epilogue"/> is applied to every output.
    /// </summary>
    void Conv2dForward(T[] x, int xOffset, Conv2dGeometry g, T[] w, int wOffset, int outChannels, int groups, T[] y, ConvEpilogue<T> epilogue);

    /// <summary>
    /// Unfolds patches into col [C·kH·kW, N·outH·outW]: row (c, ki, kj), column (n, oh, ow) holds
    /// x[n, c, oh·strideH − padH + ki·dilationH, ow·strideW − padW + kj·dilationW], or 0 in the padding.
    /// </summary>
    void Im2Col(T[] x, int xOffset, Conv2dGeometry g, T[] col);

    /// <summary>The adjoint of <see cref="Im2Col"/>: adds each column entry into the input cell it was read from.</summary>
    void Col2Im(T[] col, Conv2dGeometry g, T[] dx);

    /// <summary>Max pooling; <paramref name="argmax"/> gets, per output, the index within its [H, W] plane of the first maximum.</summary>
    /// <remarks>A null <paramref name="argmax"/> asks for the values only (inference: no backward will need the indices).</remarks>
    void MaxPoolForward(T[] x, int xOffset, Conv2dGeometry g, T[] y, int[]? argmax);

    /// <summary>Adds each output gradient into dx at its argmax.</summary>
    void MaxPoolBackward(T[] dy, int dyOffset, int[] argmax, Conv2dGeometry g, T[] dx);

    /// <summary>Average pooling; the divisor counts padded cells (within padding's reach) when <paramref name="countIncludePad"/>.</summary>
    void AvgPoolForward(T[] x, int xOffset, Conv2dGeometry g, T[] y, bool countIncludePad);

    /// <summary>Adds each output gradient, divided as in the forward pass, into the cells of its window.</summary>
    void AvgPoolBackward(T[] dy, int dyOffset, Conv2dGeometry g, T[] dx, bool countIncludePad);

    /// <summary>Adaptive average pooling of [planes, h, w] to [planes, oh, ow]: output i covers rows ⌊i·h/oh⌋ .. ⌈(i+1)·h/oh⌉ − 1, likewise columns.</summary>
    void AdaptiveAvgPoolForward(T[] x, int xOffset, int planes, int h, int w, int oh, int ow, T[] y);

    /// <summary>Adds each output gradient, divided by its window's size, into the window's cells.</summary>
    void AdaptiveAvgPoolBackward(T[] dy, int dyOffset, int planes, int h, int w, int oh, int ow, T[] dx);
}
