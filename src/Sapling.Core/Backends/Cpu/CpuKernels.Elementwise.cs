namespace Sapling.Backends.Cpu;

/// <summary>
/// The elementwise families. Each op kind is switched once per call into its generic struct op, so the loops
/// themselves are the same specialised, vectorised code the tensor layer called directly before the seam.
/// </summary>
public sealed partial class CpuKernels
{
    /// <inheritdoc/>
    public void Unary(UnaryOpKind op, float[] x, int xOffset, float[] y, int n)
    {
        switch (op)
        {
            case UnaryOpKind.Neg: Elementwise.UnaryParallel<NegOp>(x, xOffset, y, 0, n); break;
            case UnaryOpKind.Exp: Elementwise.UnaryParallel<ExpOp>(x, xOffset, y, 0, n); break;
            case UnaryOpKind.Log: Elementwise.UnaryParallel<LogOp>(x, xOffset, y, 0, n); break;
            case UnaryOpKind.Sqrt: Elementwise.UnaryParallel<SqrtOp>(x, xOffset, y, 0, n); break;
            case UnaryOpKind.Rsqrt: Elementwise.UnaryParallel<RsqrtOp>(x, xOffset, y, 0, n); break;
            case UnaryOpKind.Abs: Elementwise.UnaryParallel<AbsOp>(x, xOffset, y, 0, n); break;
            case UnaryOpKind.Sin: Elementwise.UnaryParallel<SinOp>(x, xOffset, y, 0, n); break;
            case UnaryOpKind.Cos: Elementwise.UnaryParallel<CosOp>(x, xOffset, y, 0, n); break;
            case UnaryOpKind.Square: Elementwise.UnaryParallel<SquareOp>(x, xOffset, y, 0, n); break;
            case UnaryOpKind.Reciprocal: Elementwise.UnaryParallel<ReciprocalOp>(x, xOffset, y, 0, n); break;
            case UnaryOpKind.Tanh: Elementwise.UnaryParallel<TanhOp>(x, xOffset, y, 0, n); break;
            case UnaryOpKind.Sigmoid: Elementwise.UnaryParallel<SigmoidOp>(x, xOffset, y, 0, n); break;
            case UnaryOpKind.Relu: Elementwise.UnaryParallel<ReluOp>(x, xOffset, y, 0, n); break;
            case UnaryOpKind.Silu: Elementwise.UnaryParallel<SiluOp>(x, xOffset, y, 0, n); break;
            case UnaryOpKind.Erf: Elementwise.UnaryParallel<ErfOp>(x, xOffset, y, 0, n); break;
            default: throw new ArgumentOutOfRangeException(nameof(op), op, null);
        }
    }

    /// <inheritdoc/>
    public void UnaryBackward(UnaryOpKind op, float[] saved, int savedOffset, float[] dy, int dyOffset, float[] dx, int n)
    {
        switch (op)
        {
            case UnaryOpKind.Tanh: Elementwise.Chunked(n, (s, len) => ActivationGrad.Tanh(dy.AsSpan(dyOffset + s, len), saved.AsSpan(savedOffset + s, len), dx.AsSpan(s, len))); break;
            case UnaryOpKind.Sigmoid: Elementwise.Chunked(n, (s, len) => ActivationGrad.Sigmoid(dy.AsSpan(dyOffset + s, len), saved.AsSpan(savedOffset + s, len), dx.AsSpan(s, len))); break;
            case UnaryOpKind.Relu: Elementwise.Chunked(n, (s, len) => ActivationGrad.Relu(dy.AsSpan(dyOffset + s, len), saved.AsSpan(savedOffset + s, len), dx.AsSpan(s, len))); break;
            case UnaryOpKind.Silu: Elementwise.Chunked(n, (s, len) => ActivationGrad.Silu(dy.AsSpan(dyOffset + s, len), saved.AsSpan(savedOffset + s, len), dx.AsSpan(s, len))); break;
            default: throw new ArgumentOutOfRangeException(nameof(op), op, "only tanh, sigmoid, relu and silu have a fused backward kernel");
        }
    }

    /// <inheritdoc/>
    public void Binary(BinaryOpKind op, int[] shape, float[] a, int aOffset, int[] aStrides, float[] b, int bOffset, int[] bStrides, float[] d)
    {
        switch (op)
        {
            case BinaryOpKind.Add: Elementwise.Binary<AddOp>(shape, a, aOffset, aStrides, b, bOffset, bStrides, d); break;
            case BinaryOpKind.Sub: Elementwise.Binary<SubOp>(shape, a, aOffset, aStrides, b, bOffset, bStrides, d); break;
            case BinaryOpKind.Mul: Elementwise.Binary<MulOp>(shape, a, aOffset, aStrides, b, bOffset, bStrides, d); break;
            case BinaryOpKind.Div: Elementwise.Binary<DivOp>(shape, a, aOffset, aStrides, b, bOffset, bStrides, d); break;
            case BinaryOpKind.Max: Elementwise.Binary<MaxOp>(shape, a, aOffset, aStrides, b, bOffset, bStrides, d); break;
            case BinaryOpKind.Min: Elementwise.Binary<MinOp>(shape, a, aOffset, aStrides, b, bOffset, bStrides, d); break;
            case BinaryOpKind.Pow: Elementwise.Binary<PowOp>(shape, a, aOffset, aStrides, b, bOffset, bStrides, d); break;
            default: throw new ArgumentOutOfRangeException(nameof(op), op, null);
        }
    }

    /// <inheritdoc/>
    public void BinaryScalar(BinaryOpKind op, float[] x, int xOffset, float s, bool scalarFirst, float[] d, int n)
    {
        switch (op)
        {
            case BinaryOpKind.Add: Scalar<AddOp>(x, xOffset, s, scalarFirst, d, n); break;
            case BinaryOpKind.Sub: Scalar<SubOp>(x, xOffset, s, scalarFirst, d, n); break;
            case BinaryOpKind.Mul: Scalar<MulOp>(x, xOffset, s, scalarFirst, d, n); break;
            case BinaryOpKind.Div: Scalar<DivOp>(x, xOffset, s, scalarFirst, d, n); break;
            case BinaryOpKind.Max: Scalar<MaxOp>(x, xOffset, s, scalarFirst, d, n); break;
            case BinaryOpKind.Min: Scalar<MinOp>(x, xOffset, s, scalarFirst, d, n); break;
            case BinaryOpKind.Pow: Scalar<PowOp>(x, xOffset, s, scalarFirst, d, n); break;
            default: throw new ArgumentOutOfRangeException(nameof(op), op, null);
        }
    }

    private static void Scalar<TOp>(float[] x, int xOffset, float s, bool scalarFirst, float[] d, int n) where TOp : IBinaryOp
    {
        if (scalarFirst) Elementwise.Chunked(n, (start, len) => TOp.Apply(s, x.AsSpan(xOffset + start, len), d.AsSpan(start, len)));
        else Elementwise.Chunked(n, (start, len) => TOp.Apply(x.AsSpan(xOffset + start, len), s, d.AsSpan(start, len)));
    }

    /// <inheritdoc/>
    public void GeluForward(float[] x, int xOffset, float[] y, int n, bool tanhApproximation)
        => Elementwise.Chunked(n, (s, len) => GeluKernel.Forward(x.AsSpan(xOffset + s, len), y.AsSpan(s, len), tanhApproximation));

    /// <inheritdoc/>
    public void GeluBackward(float[] x, int xOffset, float[] dy, int dyOffset, float[] dx, int n, bool tanhApproximation)
        => Elementwise.Chunked(n, (s, len) => GeluKernel.Backward(x.AsSpan(xOffset + s, len), dy.AsSpan(dyOffset + s, len), dx.AsSpan(s, len), tanhApproximation));
}
