using System.Numerics;
using Sapling.Backends;

namespace Sapling;

/// <summary>
/// The compute kernels of one dtype, called with tensors: ops are written once, and this picks the element type's
/// kernel set (the current backend for float32, <see cref="Backend.Float64"/> for float64) and hands each kernel the
/// storage arrays. Inputs are read from the tensor's offset unless an explicit offset is given; outputs are fresh
/// tensors written from element 0. Scalars arrive as double and are rounded once to the element type.
/// </summary>
internal abstract class TensorKernels
{
    private static readonly TensorKernels Float32 = new Typed<float>();
    private static readonly TensorKernels Float64 = new Typed<double>();

    /// <summary>The kernels for tensors of <paramref name="dtype"/>; callers have checked it is a compute type.</summary>
    public static TensorKernels For(DType dtype) => dtype switch
    {
        DType.Float32 => Float32,
        DType.Float64 => Float64,
        _ => throw new ArgumentException($"no compute kernels for dtype {dtype.Name()}; convert with To(DType.Float32)"),
    };

    /// <summary>C = op(A)·op(B), or C += op(A)·op(B) when <paramref name="accumulate"/>.</summary>
    public abstract void Gemm(bool transA, bool transB, int m, int n, int k, Tensor a, int aOffset, int lda, Tensor b, int bOffset, int ldb, Tensor c, int cOffset, int ldc, bool accumulate = false);

    /// <summary>Each C = alpha·op(A)·op(B).</summary>
    public abstract void GemmBatched(bool transA, bool transB, int m, int n, int k, Tensor a, int[] aOffsets, int lda, Tensor b, int[] bOffsets, int ldb, Tensor c, int cStride, int ldc, double alpha = 1);

    public abstract void Unary(UnaryOpKind op, Tensor x, Tensor y);

    public abstract void UnaryBackward(UnaryOpKind op, Tensor saved, Tensor dy, Tensor dx);

    /// <summary>a and b are views of the output shape (stride 0 along broadcast dimensions).</summary>
    public abstract void Binary(BinaryOpKind op, int[] shape, Tensor a, Tensor b, Tensor d);

    public abstract void BinaryScalar(BinaryOpKind op, Tensor x, double s, bool scalarFirst, Tensor d);

    public abstract void GeluForward(Tensor x, Tensor y, bool tanhApproximation);

    public abstract void GeluBackward(Tensor x, Tensor dy, Tensor dx, bool tanhApproximation);

    public abstract void SoftmaxForward(Tensor x, Tensor y, int rows, int n, bool log);

    public abstract void CausalSoftmaxForward(Tensor x, Tensor y, int rows, int n, int queries, int offset);

    public abstract void SoftmaxBackward(Tensor y, Tensor dy, Tensor dx, int rows, int n, bool log);

    public abstract void LayerNormForward(Tensor x, Tensor? w, Tensor? b, Tensor y, Tensor mean, Tensor rstd, int rows, int n, double eps);

    public abstract void ChannelMoments(Tensor x, int n, int c, int hw, Tensor mean, Tensor variance);

    public abstract void ChannelAffine(Tensor x, Tensor scale, Tensor shift, Tensor y, int n, int c, int hw);

    public abstract void BatchNormBackward(Tensor x, Tensor dy, Tensor mean, Tensor rstd, Tensor? gamma, Tensor? dx, Tensor sumDy, Tensor sumDyXhat, int n, int c, int hw, bool batchStatistics);

    public abstract void LayerNormBackward(Tensor x, Tensor? w, Tensor dy, Tensor mean, Tensor rstd, Tensor? dx, Tensor? dw, Tensor? db, int rows, int n);

    public abstract void RmsNormForward(Tensor x, Tensor w, Tensor y, Tensor rstd, int rows, int n, double eps);

    public abstract void RmsNormBackward(Tensor x, Tensor w, Tensor dy, Tensor rstd, Tensor? dx, Tensor? dw, int rows, int n);

    public abstract int CrossEntropyForward(Tensor logits, long[] targets, Tensor losses, Tensor lse, int rows, int classes, long ignoreIndex, double smoothing);

    public abstract void CrossEntropyBackward(Tensor logits, long[] targets, Tensor lse, Tensor rowScale, Tensor dx, int rows, int classes, long ignoreIndex, double smoothing);

    /// <summary>q, k, v (and dOut) must start at element 0 of their storage; head h of k and v starts at h·kvHeadStride.</summary>
    public abstract void AttentionForward(Tensor q, Tensor k, Tensor v, Tensor output, Tensor lse, int heads, int t, int s, int d, int past, double scale, int[]? keyStart, int headsPerRow, int kvHeadStride, int kvGroups = 1, int window = 0);

    public abstract void EncoderAttentionForward(Tensor q, HeadLayout qLayout, Tensor k, HeadLayout kLayout, Tensor v, HeadLayout vLayout, Tensor output, int batch, int heads, int t, int s, int d, double scale, int[]? keyLengths);

    public abstract void AttentionBackward(Tensor q, Tensor k, Tensor v, Tensor output, Tensor lse, Tensor dOut, Tensor dq, Tensor dk, Tensor dv, int heads, int t, int s, int d, int past, double scale);

    public abstract void Sum(Tensor x, Tensor y, int outer, int reduce, int inner);

    public abstract void ArgExtreme(Tensor x, Tensor values, long[] indices, int outer, int reduce, int inner, bool max);

    /// <summary>y = act(conv(x, w)·scale[o] + shift[o] + residual), each part optional (see <see cref="ConvEpilogue{T}"/>); residual is contiguous like y.</summary>
    public abstract void Conv2dForward(Tensor x, Conv2dGeometry g, Tensor w, int outChannels, int groups, Tensor y,
        Tensor? scale = null, Tensor? shift = null, Tensor? residual = null, bool relu = false);

    public abstract void Im2Col(Tensor x, Conv2dGeometry g, Tensor col);

    public abstract void Col2Im(Tensor col, Conv2dGeometry g, Tensor dx);

    public abstract void MaxPoolForward(Tensor x, Conv2dGeometry g, Tensor y, int[]? argmax);

    public abstract void MaxPoolBackward(Tensor dy, int[] argmax, Conv2dGeometry g, Tensor dx);

    public abstract void AvgPoolForward(Tensor x, Conv2dGeometry g, Tensor y, bool countIncludePad);

    public abstract void AvgPoolBackward(Tensor dy, Conv2dGeometry g, Tensor dx, bool countIncludePad);

    public abstract void AdaptiveAvgPoolForward(Tensor x, int planes, int h, int w, int oh, int ow, Tensor y);

    public abstract void AdaptiveAvgPoolBackward(Tensor dy, int planes, int h, int w, int oh, int ow, Tensor dx);

    public abstract void Fill(Tensor y, double value);

    public abstract void IndexAdd(Tensor src, int outer, int size, int inner, long[] indices, Tensor dst);

    /// <summary>src is read through its strides.</summary>
    public abstract void Gather(Tensor src, int dim, int[] indexShape, long[] indices, Tensor dst);

    /// <summary>Adds in place into dst, read and written through its strides.</summary>
    public abstract void ScatterAdd(Tensor src, int dim, int[] indexShape, long[] indices, Tensor dst);

    public abstract void Where(Tensor condition, Tensor a, Tensor b, Tensor d);

    public abstract void Triangle(Tensor x, Tensor y, int matrices, int rows, int cols, int diagonal, bool lower);

    public abstract void DropoutMask(Generator generator, float p, Tensor mask);

    /// <summary>Σ elements of a contiguous tensor, accumulated in double.</summary>
    public abstract double SumAsDouble(Tensor x);

    private sealed class Typed<T> : TensorKernels where T : unmanaged, IFloatingPointIeee754<T>
    {
        // Read per call: the float32 backend is chosen per thread and may change between calls.
        private static IComputeKernels<T> K => typeof(T) == typeof(float) ? (IComputeKernels<T>)Backend.Current : (IComputeKernels<T>)Backend.Float64;

        private static T[] A(Tensor t) => t.ArrayOf<T>();

        private static T[]? Optional(Tensor? t) => t?.ArrayOf<T>();

        private static T S(double v) => T.CreateTruncating(v);

        public override void Gemm(bool transA, bool transB, int m, int n, int k, Tensor a, int aOffset, int lda, Tensor b, int bOffset, int ldb, Tensor c, int cOffset, int ldc, bool accumulate = false)
            => K.Gemm(transA, transB, m, n, k, T.One, A(a), aOffset, lda, A(b), bOffset, ldb, accumulate ? T.One : T.Zero, A(c), cOffset, ldc);

        public override void GemmBatched(bool transA, bool transB, int m, int n, int k, Tensor a, int[] aOffsets, int lda, Tensor b, int[] bOffsets, int ldb, Tensor c, int cStride, int ldc, double alpha = 1)
            => K.GemmBatched(transA, transB, m, n, k, S(alpha), A(a), aOffsets, lda, A(b), bOffsets, ldb, T.Zero, A(c), cStride, ldc);

        public override void Unary(UnaryOpKind op, Tensor x, Tensor y) => K.Unary(op, A(x), x.offset, A(y), y.NumEl);

        public override void UnaryBackward(UnaryOpKind op, Tensor saved, Tensor dy, Tensor dx)
            => K.UnaryBackward(op, A(saved), saved.offset, A(dy), dy.offset, A(dx), dx.NumEl);

        public override void Binary(BinaryOpKind op, int[] shape, Tensor a, Tensor b, Tensor d)
            => K.Binary(op, shape, A(a), a.offset, a.strides, A(b), b.offset, b.strides, A(d));

        public override void BinaryScalar(BinaryOpKind op, Tensor x, double s, bool scalarFirst, Tensor d)
            => K.BinaryScalar(op, A(x), x.offset, S(s), scalarFirst, A(d), d.NumEl);

        public override void GeluForward(Tensor x, Tensor y, bool tanhApproximation) => K.GeluForward(A(x), x.offset, A(y), y.NumEl, tanhApproximation);

        public override void GeluBackward(Tensor x, Tensor dy, Tensor dx, bool tanhApproximation)
            => K.GeluBackward(A(x), x.offset, A(dy), dy.offset, A(dx), dx.NumEl, tanhApproximation);

        public override void SoftmaxForward(Tensor x, Tensor y, int rows, int n, bool log) => K.SoftmaxForward(A(x), x.offset, A(y), rows, n, log);

        public override void CausalSoftmaxForward(Tensor x, Tensor y, int rows, int n, int queries, int offset)
            => K.CausalSoftmaxForward(A(x), x.offset, A(y), rows, n, queries, offset);

        public override void SoftmaxBackward(Tensor y, Tensor dy, Tensor dx, int rows, int n, bool log)
            => K.SoftmaxBackward(A(y), A(dy), dy.offset, A(dx), rows, n, log);

        public override void LayerNormForward(Tensor x, Tensor? w, Tensor? b, Tensor y, Tensor mean, Tensor rstd, int rows, int n, double eps)
            => K.LayerNormForward(A(x), x.offset, Optional(w), w?.offset ?? 0, Optional(b), b?.offset ?? 0, A(y), A(mean), A(rstd), rows, n, S(eps));

        public override void ChannelMoments(Tensor x, int n, int c, int hw, Tensor mean, Tensor variance)
            => K.ChannelMoments(A(x), x.offset, n, c, hw, A(mean), A(variance));

        public override void ChannelAffine(Tensor x, Tensor scale, Tensor shift, Tensor y, int n, int c, int hw)
            => K.ChannelAffine(A(x), x.offset, A(scale), A(shift), A(y), n, c, hw);

        public override void BatchNormBackward(Tensor x, Tensor dy, Tensor mean, Tensor rstd, Tensor? gamma, Tensor? dx, Tensor sumDy, Tensor sumDyXhat, int n, int c, int hw, bool batchStatistics)
            => K.BatchNormBackward(A(x), x.offset, A(dy), dy.offset, A(mean), A(rstd), Optional(gamma), Optional(dx), A(sumDy), A(sumDyXhat), n, c, hw, batchStatistics);

        public override void LayerNormBackward(Tensor x, Tensor? w, Tensor dy, Tensor mean, Tensor rstd, Tensor? dx, Tensor? dw, Tensor? db, int rows, int n)
            => K.LayerNormBackward(A(x), x.offset, Optional(w), w?.offset ?? 0, A(dy), dy.offset, A(mean), A(rstd), Optional(dx), Optional(dw), Optional(db), rows, n);

        public override void RmsNormForward(Tensor x, Tensor w, Tensor y, Tensor rstd, int rows, int n, double eps)
            => K.RmsNormForward(A(x), x.offset, A(w), w.offset, A(y), A(rstd), rows, n, S(eps));

        public override void RmsNormBackward(Tensor x, Tensor w, Tensor dy, Tensor rstd, Tensor? dx, Tensor? dw, int rows, int n)
            => K.RmsNormBackward(A(x), x.offset, A(w), w.offset, A(dy), dy.offset, A(rstd), Optional(dx), Optional(dw), rows, n);

        public override int CrossEntropyForward(Tensor logits, long[] targets, Tensor losses, Tensor lse, int rows, int classes, long ignoreIndex, double smoothing)
            => K.CrossEntropyForward(A(logits), logits.offset, targets, A(losses), A(lse), rows, classes, ignoreIndex, S(smoothing));

        public override void CrossEntropyBackward(Tensor logits, long[] targets, Tensor lse, Tensor rowScale, Tensor dx, int rows, int classes, long ignoreIndex, double smoothing)
            => K.CrossEntropyBackward(A(logits), logits.offset, targets, A(lse), A(rowScale), A(dx), rows, classes, ignoreIndex, S(smoothing));

        public override void AttentionForward(Tensor q, Tensor k, Tensor v, Tensor output, Tensor lse, int heads, int t, int s, int d, int past, double scale, int[]? keyStart, int headsPerRow, int kvHeadStride, int kvGroups = 1, int window = 0)
            => K.AttentionForward(A(q), A(k), A(v), A(output), A(lse), heads, t, s, d, past, S(scale), keyStart, headsPerRow, kvHeadStride, kvGroups, window);

        public override void EncoderAttentionForward(Tensor q, HeadLayout qLayout, Tensor k, HeadLayout kLayout, Tensor v, HeadLayout vLayout, Tensor output, int batch, int heads, int t, int s, int d, double scale, int[]? keyLengths)
            => K.EncoderAttentionForward(A(q), qLayout, A(k), kLayout, A(v), vLayout, A(output), batch, heads, t, s, d, S(scale), keyLengths);

        public override void AttentionBackward(Tensor q, Tensor k, Tensor v, Tensor output, Tensor lse, Tensor dOut, Tensor dq, Tensor dk, Tensor dv, int heads, int t, int s, int d, int past, double scale)
            => K.AttentionBackward(A(q), A(k), A(v), A(output), A(lse), A(dOut), A(dq), A(dk), A(dv), heads, t, s, d, past, S(scale));

        public override void Sum(Tensor x, Tensor y, int outer, int reduce, int inner) => K.Sum(A(x), x.offset, A(y), outer, reduce, inner);

        public override void ArgExtreme(Tensor x, Tensor values, long[] indices, int outer, int reduce, int inner, bool max)
            => K.ArgExtreme(A(x), x.offset, A(values), indices, outer, reduce, inner, max);

        public override void Conv2dForward(Tensor x, Conv2dGeometry g, Tensor w, int outChannels, int groups, Tensor y,
            Tensor? scale = null, Tensor? shift = null, Tensor? residual = null, bool relu = false)
            => K.Conv2dForward(A(x), x.offset, g, A(w), w.offset, outChannels, groups, A(y),
                new ConvEpilogue<T>(Optional(scale), scale?.offset ?? 0, Optional(shift), shift?.offset ?? 0, Optional(residual), residual?.offset ?? 0, relu));

        public override void Im2Col(Tensor x, Conv2dGeometry g, Tensor col) => K.Im2Col(A(x), x.offset, g, A(col));

        public override void Col2Im(Tensor col, Conv2dGeometry g, Tensor dx) => K.Col2Im(A(col), g, A(dx));

        public override void MaxPoolForward(Tensor x, Conv2dGeometry g, Tensor y, int[]? argmax) => K.MaxPoolForward(A(x), x.offset, g, A(y), argmax);

        public override void MaxPoolBackward(Tensor dy, int[] argmax, Conv2dGeometry g, Tensor dx) => K.MaxPoolBackward(A(dy), dy.offset, argmax, g, A(dx));

        public override void AvgPoolForward(Tensor x, Conv2dGeometry g, Tensor y, bool countIncludePad) => K.AvgPoolForward(A(x), x.offset, g, A(y), countIncludePad);

        public override void AvgPoolBackward(Tensor dy, Conv2dGeometry g, Tensor dx, bool countIncludePad) => K.AvgPoolBackward(A(dy), dy.offset, g, A(dx), countIncludePad);

        public override void AdaptiveAvgPoolForward(Tensor x, int planes, int h, int w, int oh, int ow, Tensor y)
            => K.AdaptiveAvgPoolForward(A(x), x.offset, planes, h, w, oh, ow, A(y));

        public override void AdaptiveAvgPoolBackward(Tensor dy, int planes, int h, int w, int oh, int ow, Tensor dx)
            => K.AdaptiveAvgPoolBackward(A(dy), dy.offset, planes, h, w, oh, ow, A(dx));

        public override void Fill(Tensor y, double value) => K.Fill(A(y), y.NumEl, S(value));

        public override void IndexAdd(Tensor src, int outer, int size, int inner, long[] indices, Tensor dst)
            => K.IndexAdd(A(src), src.offset, outer, size, inner, indices, A(dst));

        public override void Gather(Tensor src, int dim, int[] indexShape, long[] indices, Tensor dst)
            => K.Gather(A(src), src.offset, src.strides, dim, indexShape, indices, A(dst));

        public override void ScatterAdd(Tensor src, int dim, int[] indexShape, long[] indices, Tensor dst)
            => K.ScatterAdd(A(src), src.offset, src.strides, dim, indexShape, indices, A(dst), dst.offset, dst.strides);

        public override void Where(Tensor condition, Tensor a, Tensor b, Tensor d)
            => K.Where(condition.ArrayOf<bool>(), condition.offset, A(a), a.offset, A(b), b.offset, A(d), d.NumEl);

        public override void Triangle(Tensor x, Tensor y, int matrices, int rows, int cols, int diagonal, bool lower)
            => K.Triangle(A(x), x.offset, A(y), matrices, rows, cols, diagonal, lower);

        public override void DropoutMask(Generator generator, float p, Tensor mask) => K.DropoutMask(generator, p, A(mask), mask.NumEl);

        public override double SumAsDouble(Tensor x)
        {
            var values = A(x).AsSpan(x.offset, x.NumEl);
            double s = 0;
            foreach (var v in values) s += double.CreateTruncating(v);
            return s;
        }
    }
}
