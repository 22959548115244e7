namespace Sapling.Backends.Reference;

/// <summary>Elementwise maps and GELU, each evaluated in double and rounded once.</summary>
public partial class ReferenceKernels<T>
{
    private const double Sqrt2 = 1.4142135623730950488;
    private const double Sqrt2OverPi = 0.79788456080286535588;
    private const double GeluCubic = 0.044715;

    /// <inheritdoc/>
    public void Unary(UnaryOpKind op, T[] x, int xOffset, T[] y, int n)
    {
        for (int i = 0; i < n; i++) y[i] = ToT(Apply(op, D(x[xOffset + i])));
    }

    private static double Apply(UnaryOpKind op, double x) => op switch
    {
        UnaryOpKind.Neg => -x,
        UnaryOpKind.Exp => Math.Exp(x),
        UnaryOpKind.Log => Math.Log(x),
        UnaryOpKind.Sqrt => Math.Sqrt(x),
        UnaryOpKind.Rsqrt => 1.0 / Math.Sqrt(x),
        UnaryOpKind.Abs => Math.Abs(x),
        UnaryOpKind.Sin => Math.Sin(x),
        UnaryOpKind.Cos => Math.Cos(x),
        UnaryOpKind.Erf => Erf(x),
        UnaryOpKind.Square => x * x,
        UnaryOpKind.Reciprocal => 1.0 / x,
        UnaryOpKind.Tanh => Math.Tanh(x),
        UnaryOpKind.Sigmoid => Sigmoid(x),
        UnaryOpKind.Relu => double.IsNaN(x) ? x : x > 0 ? x : 0.0,
        UnaryOpKind.Silu => x * Sigmoid(x),
        _ => throw new ArgumentOutOfRangeException(nameof(op), op, null),
    };

    private static double Sigmoid(double x) => 1.0 / (1.0 + Math.Exp(-x));

    /// <inheritdoc/>
    public void UnaryBackward(UnaryOpKind op, T[] saved, int savedOffset, T[] dy, int dyOffset, T[] dx, int n)
    {
        for (int i = 0; i < n; i++)
        {
            double s = D(saved[savedOffset + i]);
            double slope = op switch
            {
                UnaryOpKind.Tanh => 1.0 - s * s,
                UnaryOpKind.Sigmoid => s * (1.0 - s),
                UnaryOpKind.Relu => s > 0 ? 1.0 : 0.0,
                UnaryOpKind.Silu => Sigmoid(s) * (1.0 + s * (1.0 - Sigmoid(s))),
                _ => throw new ArgumentOutOfRangeException(nameof(op), op, "only tanh, sigmoid, relu and silu have a fused backward kernel"),
            };
            dx[i] = ToT(D(dy[dyOffset + i]) * slope);
        }
    }

    /// <inheritdoc/>
    public void Binary(BinaryOpKind op, int[] shape, T[] a, int aOffset, int[] aStrides, T[] b, int bOffset, int[] bStrides, T[] d)
    {
        int n = ShapeUtil.Numel(shape);
        var index = new int[shape.Length];
        for (int i = 0; i < n; i++)
        {
            // Row-major multi-index of output element i, then each operand's element through its own strides.
            int rest = i, ai = aOffset, bi = bOffset;
            for (int dim = shape.Length - 1; dim >= 0; dim--)
            {
                index[dim] = rest % shape[dim];
                rest /= shape[dim];
                ai += index[dim] * aStrides[dim];
                bi += index[dim] * bStrides[dim];
            }
            d[i] = Apply(op, a[ai], b[bi]);
        }
    }

    /// <inheritdoc/>
    public void BinaryScalar(BinaryOpKind op, T[] x, int xOffset, T s, bool scalarFirst, T[] d, int n)
    {
        for (int i = 0; i < n; i++) d[i] = scalarFirst ? Apply(op, s, x[xOffset + i]) : Apply(op, x[xOffset + i], s);
    }

    private static T Apply(BinaryOpKind op, T a, T b) => op switch
    {
        // Over float: a product of two floats is exact in double, and for the other three rounding first to double and
        // then to float gives the correctly rounded float (53 ≥ 2·24 + 2 bits), so the result is IEEE's float result.
        // Over double these are the double operations themselves.
        BinaryOpKind.Add => ToT(D(a) + D(b)),
        BinaryOpKind.Sub => ToT(D(a) - D(b)),
        BinaryOpKind.Mul => ToT(D(a) * D(b)),
        BinaryOpKind.Div => ToT(D(a) / D(b)),
        BinaryOpKind.Max => T.IsNaN(a) || T.IsNaN(b) ? T.NaN : a > b ? a : b,
        BinaryOpKind.Min => T.IsNaN(a) || T.IsNaN(b) ? T.NaN : a < b ? a : b,
        BinaryOpKind.Pow => ToT(Math.Pow(D(a), D(b))),
        _ => throw new ArgumentOutOfRangeException(nameof(op), op, null),
    };

    /// <inheritdoc/>
    public void GeluForward(T[] x, int xOffset, T[] y, int n, bool tanhApproximation)
    {
        for (int i = 0; i < n; i++)
        {
            double v = D(x[xOffset + i]);
            double cdf = tanhApproximation ? 0.5 * (1 + Math.Tanh(Sqrt2OverPi * (v + GeluCubic * v * v * v))) : 0.5 * (1 + Erf(v / Sqrt2));
            y[i] = ToT(v * cdf);
        }
    }

    /// <inheritdoc/>
    public void GeluBackward(T[] x, int xOffset, T[] dy, int dyOffset, T[] dx, int n, bool tanhApproximation)
    {
        for (int i = 0; i < n; i++)
        {
            double v = D(x[xOffset + i]);
            double slope;
            if (tanhApproximation)
            {
                // d/dx ½x(1 + tanh u) = ½(1 + tanh u) + ½x·sech²u·du/dx, u = √(2/π)(x + 0.044715x³).
                double t = Math.Tanh(Sqrt2OverPi * (v + GeluCubic * v * v * v));
                slope = 0.5 * (1 + t) + 0.5 * v * (1 - t * t) * Sqrt2OverPi * (1 + 3 * GeluCubic * v * v);
            }
            else
            {
                // d/dx x·Φ(x) = Φ(x) + x·φ(x), φ the standard normal density.
                slope = 0.5 * (1 + Erf(v / Sqrt2)) + v * Math.Exp(-0.5 * v * v) / Math.Sqrt(2 * Math.PI);
            }
            dx[i] = ToT(D(dy[dyOffset + i]) * slope);
        }
    }

    /// <summary>
    /// erf(x) = 2/√π·e^(−x²)·Σₙ 2ⁿx^(2n+1)/(1·3·…·(2n+1)): every term is positive, so the sum has no cancellation
    /// and is good to about 1e-15. Beyond |x| = 6, 1 − |erf x| is below 10⁻¹⁶.
    /// </summary>
    internal static double Erf(double x)
    {
        if (double.IsNaN(x)) return x;
        double ax = Math.Abs(x);
        if (ax > 6) return Math.Sign(x);
        double x2 = ax * ax, term = ax, sum = ax;
        for (int n = 1; n < 1000 && term > sum * 1e-17; n++)
        {
            term *= 2 * x2 / (2 * n + 1);
            sum += term;
        }
        return Math.Sign(x) * 2 / Math.Sqrt(Math.PI) * Math.Exp(-x2) * sum;
    }
}
