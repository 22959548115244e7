namespace Sapling.Backends;

/// <summary>
/// The backend seam: the float32 compute kernels that tensor ops run. The tensor layer checks arguments, chooses
/// layouts and records gradients; an implementation only computes. <see cref="Cpu.CpuKernels"/> is the fast one,
/// <see cref="Reference.ReferenceKernels"/> the scalar oracle that tests compare it with.
/// </summary>
/// <remarks>
/// <para>Buffers are arrays with the element offset where the data starts. Inputs are read from their offset;
/// outputs are fresh buffers written from element 0, and are overwritten unless the method says it adds into
/// them. Row kernels work on contiguous rows of length <c>n</c>.</para>
/// <para>Data movement (strided copies, indexing, dtype conversion, fills) and the int8 kernels are declared in
/// <c>IKernels.DataMovement.cs</c> and <c>IKernels.Int8.cs</c>. Comparisons and random-number creation stay in the
/// tensor layer.</para>
/// </remarks>
public partial interface IKernels
{
    /// <summary>A short name for messages and benchmark output.</summary>
    string Name { get; }

    /// <summary>Row-major C = alpha·op(A)·op(B) + beta·C, with cblas_sgemm's meaning of every argument; beta = 0 ignores what C held.</summary>
    void Sgemm(bool transA, bool transB, int m, int n, int k,
        float alpha, float[] a, int aOffset, int lda, float[] b, int bOffset, int ldb, float beta, float[] c, int cOffset, int ldc);

    /// <summary>
    /// <see cref="Sgemm"/> for each i in [0, aOffsets.Length): A and B start at aOffsets[i] and bOffsets[i], C at
    /// i·cStride. The products are independent, so a backend may run them side by side.
    /// </summary>
    void SgemmBatched(bool transA, bool transB, int m, int n, int k,
        float alpha, float[] a, int[] aOffsets, int lda, float[] b, int[] bOffsets, int ldb, float beta, float[] c, int cStride, int ldc);

    /// <summary>y = f(x) over n elements.</summary>
    void Unary(UnaryOpKind op, float[] x, int xOffset, float[] y, int n);

    /// <summary>
    /// dx = dy·f′ for the activations whose gradient is one fused pass: Tanh and Sigmoid take their output as
    /// <paramref name="saved"/>, Relu and Silu their input. Other kinds have gradients composed of tensor ops.
    /// </summary>
    void UnaryBackward(UnaryOpKind op, float[] saved, int savedOffset, float[] dy, int dyOffset, float[] dx, int n);

    /// <summary>
    /// d = f(a, b) over a contiguous output of <paramref name="shape"/>, where a and b are views of that shape given by
    /// their strides (0 along broadcast dimensions).
    /// </summary>
    void Binary(BinaryOpKind op, int[] shape, float[] a, int aOffset, int[] aStrides, float[] b, int bOffset, int[] bStrides, float[] d);

    /// <summary>d = f(x, s), or f(s, x) when <paramref name="scalarFirst"/>, over n elements.</summary>
    void BinaryScalar(BinaryOpKind op, float[] x, int xOffset, float s, bool scalarFirst, float[] d, int n);

    /// <summary>GELU, x·Φ(x): exact (erf), or GPT-2's 0.5·x·(1 + tanh(√(2/π)(x + 0.044715x³))).</summary>
    void GeluForward(float[] x, int xOffset, float[] y, int n, bool tanhApproximation);

    void GeluBackward(float[] x, int xOffset, float[] dy, int dyOffset, float[] dx, int n, bool tanhApproximation);

    /// <summary>Softmax (or log-softmax) of each row; a row of all −∞ gives NaN, as in PyTorch.</summary>
    void SoftmaxForward(float[] x, int xOffset, float[] y, int rows, int n, bool log);

    /// <summary>
    /// Softmax of each row over its first min(n, offset + q + 1) entries, where q = row mod <paramref name="queries"/>
    /// (query q of a causal score matrix sees keys 0 .. offset + q); the entries after them are 0. Equal to masking the
    /// later entries with −∞ and taking the softmax, without the mask. Its gradient is <see cref="SoftmaxBackward"/>'s.
    /// </summary>
    void CausalSoftmaxForward(float[] x, int xOffset, float[] y, int rows, int n, int queries, int offset);

    /// <summary>Input gradient from the forward's output <paramref name="y"/> (written from element 0).</summary>
    void SoftmaxBackward(float[] y, float[] dy, int dyOffset, float[] dx, int rows, int n, bool log);

    /// <summary>
    /// (x − mean)/√(var + eps)·w + b per row, with the biased variance; w and b may be null. Saves each row's mean
    /// and 1/√(var + eps) for the backward pass.
    /// </summary>
    void LayerNormForward(float[] x, int xOffset, float[]? w, int wOffset, float[]? b, int bOffset,
        float[] y, float[] mean, float[] rstd, int rows, int n, float eps);

    /// <summary>Whichever of dx, dw and db is not null is written; dw and db are summed over rows.</summary>
    void LayerNormBackward(float[] x, int xOffset, float[]? w, int wOffset, float[] dy, int dyOffset, float[] mean, float[] rstd,
        float[]? dx, float[]? dw, float[]? db, int rows, int n);

    /// <summary>
    /// Per-row loss −log softmax(x)[target], mixed as (1 − ε)·nll + ε·(mean over classes of −log softmax) with label
    /// smoothing ε; rows whose target is <paramref name="ignoreIndex"/> get 0. Saves each row's log-sum-exp and
    /// returns how many rows count.
    /// </summary>
    int CrossEntropyForward(float[] logits, int offset, long[] targets, float[] losses, float[] lse,
        int rows, int classes, long ignoreIndex, float smoothing);

    /// <summary>dx = rowScale[r]·(softmax − (1 − ε)·onehot − ε/C); ignored rows get 0.</summary>
    void CrossEntropyBackward(float[] logits, int offset, long[] targets, float[] lse, float[] rowScale, float[] dx,
        int rows, int classes, long ignoreIndex, float smoothing);

    /// <summary>
    /// Causal softmax(q·kᵀ·scale)·v for q [heads, t, d] and k, v [heads, s, d] (all from element 0): query i sees keys
    /// 0 .. past + i. With <paramref name="keyStart"/>, head h sees no key before keyStart[h / headsPerRow] (left
    /// padding), and a query that sees no key gives zeros. Writes output [heads, t, d] and each row's log-sum-exp.
    /// </summary>
    void AttentionForward(float[] q, float[] k, float[] v, float[] output, float[] lse,
        int heads, int t, int s, int d, int past, float scale, int[]? keyStart, int headsPerRow);

    /// <summary>Gradients of <see cref="AttentionForward"/> (without key starts) from its output and log-sum-exp.</summary>
    void AttentionBackward(float[] q, float[] k, float[] v, float[] output, float[] lse, float[] dOut,
        float[] dq, float[] dk, float[] dv, int heads, int t, int s, int d, int past, float scale);

    /// <summary>Sums the middle axis of a contiguous [outer, reduce, inner] block into [outer, inner].</summary>
    void Sum(float[] x, int xOffset, float[] y, int outer, int reduce, int inner);

    /// <summary>Maximum (or minimum) along the middle axis with the index of its first occurrence; a NaN wins, as in PyTorch.</summary>
    void ArgExtreme(float[] x, int xOffset, float[] values, long[] indices, int outer, int reduce, int inner, bool max);

    /// <summary>
    /// Unfolds patches into col [C·kH·kW, N·outH·outW]: row (c, ki, kj), column (n, oh, ow) holds
    /// x[n, c, oh·strideH − padH + ki·dilationH, ow·strideW − padW + kj·dilationW], or 0 in the padding.
    /// </summary>
    void Im2Col(float[] x, int xOffset, Conv2dGeometry g, float[] col);

    /// <summary>The adjoint of <see cref="Im2Col"/>: adds each column entry into the input cell it was read from.</summary>
    void Col2Im(float[] col, Conv2dGeometry g, float[] dx);

    /// <summary>Max pooling; <paramref name="argmax"/> gets, per output, the index within its [H, W] plane of the first maximum.</summary>
    void MaxPoolForward(float[] x, int xOffset, Conv2dGeometry g, float[] y, int[] argmax);

    /// <summary>Adds each output gradient into dx at its argmax.</summary>
    void MaxPoolBackward(float[] dy, int dyOffset, int[] argmax, Conv2dGeometry g, float[] dx);

    /// <summary>Average pooling; the divisor counts padded cells (within padding's reach) when <paramref name="countIncludePad"/>.</summary>
    void AvgPoolForward(float[] x, int xOffset, Conv2dGeometry g, float[] y, bool countIncludePad);

    /// <summary>Adds each output gradient, divided as in the forward pass, into the cells of its window.</summary>
    void AvgPoolBackward(float[] dy, int dyOffset, Conv2dGeometry g, float[] dx, bool countIncludePad);

    /// <summary>Adaptive average pooling of [planes, h, w] to [planes, oh, ow]: output i covers rows ⌊i·h/oh⌋ .. ⌈(i+1)·h/oh⌉ − 1, likewise columns.</summary>
    void AdaptiveAvgPoolForward(float[] x, int xOffset, int planes, int h, int w, int oh, int ow, float[] y);

    /// <summary>Adds each output gradient, divided by its window's size, into the window's cells.</summary>
    void AdaptiveAvgPoolBackward(float[] dy, int dyOffset, int planes, int h, int w, int oh, int ow, float[] dx);
}
