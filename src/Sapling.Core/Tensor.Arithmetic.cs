using Sapling.Autograd;
using Sapling.Backends;

namespace Sapling;

public sealed partial class Tensor
{
    /// <summary>
    /// Elementwise sum with broadcasting (PyTorch's torch.add). Both operands must be float32 or both float64: mixed
    /// dtypes are refused, not promoted.
    /// </summary>
    public Tensor Add(Tensor other) => BinaryOp(BinaryOpKind.Add, "add", this, other, (g, a, b) => (g.SumToShape(a.shape), g.SumToShape(b.shape)));

    /// <summary>Elementwise <c>this - other</c> with broadcasting; both operands float32 or both float64.</summary>
    public Tensor Sub(Tensor other) => BinaryOp(BinaryOpKind.Sub, "sub", this, other, (g, a, b) => (g.SumToShape(a.shape), b.requiresGrad ? g.Neg().SumToShape(b.shape) : null));

    /// <summary>Elementwise product with broadcasting; both operands float32 or both float64.</summary>
    public Tensor Mul(Tensor other) => BinaryOp(BinaryOpKind.Mul, "mul", this, other, (g, a, b) =>
        (a.requiresGrad ? g.Mul(b).SumToShape(a.shape) : null, b.requiresGrad ? g.Mul(a).SumToShape(b.shape) : null));

    /// <summary>Elementwise <c>this / other</c> with broadcasting; both operands float32 or both float64.</summary>
    public Tensor Div(Tensor other) => BinaryOp(BinaryOpKind.Div, "div", this, other, (g, a, b) =>
        (a.requiresGrad ? g.Div(b).SumToShape(a.shape) : null,
         b.requiresGrad ? g.Mul(a).Div(b.Mul(b)).Neg().SumToShape(b.shape) : null));

    /// <summary>
    /// Elementwise maximum with broadcasting; at ties the whole gradient goes to the first operand (PyTorch splits it
    /// evenly between the two).
    /// </summary>
    public Tensor Maximum(Tensor other) => BinaryOp(BinaryOpKind.Max, "maximum", this, other, (g, a, b) =>
    {
        using var aWins = a.Ge(b);
        return (a.requiresGrad ? Where(aWins, g, 0f).SumToShape(a.shape) : null, b.requiresGrad ? Where(aWins, 0f, g).SumToShape(b.shape) : null);
    });

    /// <summary>Elementwise minimum with broadcasting; at ties the whole gradient goes to the first operand.</summary>
    public Tensor Minimum(Tensor other) => BinaryOp(BinaryOpKind.Min, "minimum", this, other, (g, a, b) =>
    {
        using var aWins = a.Le(b);
        return (a.requiresGrad ? Where(aWins, g, 0f).SumToShape(a.shape) : null, b.requiresGrad ? Where(aWins, 0f, g).SumToShape(b.shape) : null);
    });

    /// <summary>
    /// Elementwise <c>this</c> raised to <paramref name="exponent"/>, with broadcasting. The exponent's gradient uses
    /// log(this), so it is NaN where the base is zero or negative.
    /// </summary>
    public Tensor Pow(Tensor exponent) => BinaryOp(BinaryOpKind.Pow, "pow", this, exponent, (g, a, b) =>
        (a.requiresGrad ? g.Mul(b).Mul(a.Pow(b.Sub(1f))).SumToShape(a.shape) : null,
         b.requiresGrad ? g.Mul(a.Pow(b)).Mul(a.Log()).SumToShape(b.shape) : null));

    /// <summary>Adds <paramref name="s"/> to every element (the scalar is rounded to the tensor's dtype).</summary>
    public Tensor Add(double s) => ScalarOp(BinaryOpKind.Add, "add", this, s, false, g => g);

    /// <summary>Subtracts <paramref name="s"/> from every element.</summary>
    public Tensor Sub(double s) => ScalarOp(BinaryOpKind.Sub, "sub", this, s, false, g => g);

    /// <summary>Multiplies every element by <paramref name="s"/>.</summary>
    public Tensor Mul(double s) => ScalarOp(BinaryOpKind.Mul, "mul", this, s, false, g => g.Mul(s));

    /// <summary>Divides every element by <paramref name="s"/>.</summary>
    public Tensor Div(double s) => ScalarOp(BinaryOpKind.Div, "div", this, s, false, g => g.Div(s));

    /// <summary><c>s - this</c>.</summary>
    public Tensor RSub(double s) => ScalarOp(BinaryOpKind.Sub, "rsub", this, s, true, g => g.Neg());

    /// <summary><c>s / this</c>.</summary>
    public Tensor RDiv(double s)
    {
        Tensor? self = null;
        var result = ScalarOp(BinaryOpKind.Div, "rdiv", this, s, true, g => g.Mul(self!).Mul(self!).Div(-s));
        self = result;
        return result;
    }

    /// <summary>
    /// Raises every element to the power <paramref name="p"/>; <c>p = 2</c> is computed as <see cref="Square"/>.
    /// </summary>
    public Tensor Pow(double p)
    {
        var x = this;
        if (p == 2) return Square();
        return ScalarOp(BinaryOpKind.Pow, "pow", this, p, false, g => g.Mul(x.Pow(p - 1)).Mul(p));
    }

    /// <summary>
    /// Elementwise <c>max(this, s)</c>; the gradient passes where the input is at least <paramref name="s"/>.
    /// </summary>
    public Tensor Maximum(double s)
    {
        var x = this;
        return ScalarOp(BinaryOpKind.Max, "maximum", this, s, false, g => Where(x.Ge(s), g, 0f));
    }

    /// <summary>
    /// Elementwise <c>min(this, s)</c>; the gradient passes where the input is at most <paramref name="s"/>.
    /// </summary>
    public Tensor Minimum(double s)
    {
        var x = this;
        return ScalarOp(BinaryOpKind.Min, "minimum", this, s, false, g => Where(x.Le(s), g, 0f));
    }

    /// <summary>Limits values to [min, max]; the gradient passes only where the input was inside.</summary>
    public Tensor Clamp(double min, double max)
    {
        if (min > max) throw new ArgumentException($"clamp: min {min} is greater than max {max}");
        RequireFloat("clamp", this);
        var x = this;
        Tensor result;
        if (DType == DType.Float32)
        {
            result = Uninitialized(DType.Float32, (int[])shape.Clone());
            System.Numerics.Tensors.TensorPrimitives.Clamp(ContiguousFloats(this), (float)min, (float)max, result.AsSpan());
        }
        else
        {
            using var _ = NoGrad.Enter();
            using var low = Maximum(min);
            result = low.Minimum(max);
        }
        return Record(result, "clamp", this, g =>
        {
            using var inside = x.Ge(min).LogicalAnd(x.Le(max));
            return Where(inside, g, 0f);
        });
    }

    /// <summary>Elementwise sum with broadcasting; see <see cref="Add(Tensor)"/>.</summary>
    public static Tensor operator +(Tensor a, Tensor b) => a.Add(b);
    /// <summary>Elementwise difference with broadcasting; see <see cref="Sub(Tensor)"/>.</summary>
    public static Tensor operator -(Tensor a, Tensor b) => a.Sub(b);
    /// <summary>Elementwise product with broadcasting; see <see cref="Mul(Tensor)"/>.</summary>
    public static Tensor operator *(Tensor a, Tensor b) => a.Mul(b);
    /// <summary>Elementwise quotient with broadcasting; see <see cref="Div(Tensor)"/>.</summary>
    public static Tensor operator /(Tensor a, Tensor b) => a.Div(b);
    /// <summary>Adds a scalar to every element.</summary>
    public static Tensor operator +(Tensor a, double s) => a.Add(s);
    /// <summary>Adds a scalar to every element.</summary>
    public static Tensor operator +(double s, Tensor a) => a.Add(s);
    /// <summary>Subtracts a scalar from every element.</summary>
    public static Tensor operator -(Tensor a, double s) => a.Sub(s);
    /// <summary><c>s - a</c> for every element (see <see cref="RSub"/>).</summary>
    public static Tensor operator -(double s, Tensor a) => a.RSub(s);
    /// <summary>Multiplies every element by a scalar.</summary>
    public static Tensor operator *(Tensor a, double s) => a.Mul(s);
    /// <summary>Multiplies every element by a scalar.</summary>
    public static Tensor operator *(double s, Tensor a) => a.Mul(s);
    /// <summary>Divides every element by a scalar.</summary>
    public static Tensor operator /(Tensor a, double s) => a.Div(s);
    /// <summary><c>s / a</c> for every element (see <see cref="RDiv"/>).</summary>
    public static Tensor operator /(double s, Tensor a) => a.RDiv(s);
    /// <summary>Negates every element.</summary>
    public static Tensor operator -(Tensor a) => a.Neg();

    /// <summary>this += other (broadcast), in place. Refused while recording on a tensor that requires grad.</summary>
    public Tensor AddInPlace(Tensor other, double alpha = 1)
    {
        CheckInPlace("add_");
        RequireFloat("add_", this, other);
        var src = ShapeUtil.SameShape(other.shape, shape) ? other : other.BroadcastViewTo("add_", shape);
        if (DType == DType.Float32 && IsContiguous && src.IsContiguous)
        {
            var d = AsSpan();
            var s = src.AsSpan();
            if (alpha == 1) System.Numerics.Tensors.TensorPrimitives.Add(d, s, d);
            else System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(s, (float)alpha, d, d);
            return this;
        }
        using var sum = alpha == 1 ? this.Add(src) : this.Add(src.Mul(alpha));
        CopyFrom(sum);
        return this;
    }

    /// <summary>this *= s, in place.</summary>
    public Tensor MulInPlace(double s)
    {
        CheckInPlace("mul_");
        RequireFloat("mul_", this);
        if (DType == DType.Float32 && IsContiguous)
        {
            var d = AsSpan();
            System.Numerics.Tensors.TensorPrimitives.Multiply(d, (float)s, d);
            return this;
        }
        using var product = Mul(s);
        CopyFrom(product);
        return this;
    }

    /// <summary>Sets every element to <paramref name="value"/>, in place.</summary>
    public Tensor Fill(double value)
    {
        CheckInPlace("fill_");
        using var v = Full([], value, DType.IsComputeType() ? DType : DType.Float32);
        using var cast = v.DType == DType ? v : v.To(DType);
        return CopyFrom(cast);
    }

    private void CheckInPlace(string op)
    {
        ThrowIfDisposed();
        if (requiresGrad && NoGrad.IsEnabled)
            throw new InvalidOperationException($"{op}: in-place change of a tensor that requires grad while gradients are recorded; wrap it in NoGrad.Enter() (as optimisers do) or use the out-of-place op");
    }

    /// <summary>Ops compute in float32 or float64; anything else is converted by the caller.</summary>
    internal static void RequireFloat(string op, Tensor a)
    {
        if (!a.DType.IsComputeType()) throw new ArgumentException($"{op}: expected a float32 or float64 tensor, got {a.DType.Name()}; convert with To(DType.Float32)");
    }

    /// <summary>Two operands must share their compute dtype: mixing float32 and float64 is refused rather than promoted.</summary>
    internal static void RequireFloat(string op, Tensor a, Tensor b)
    {
        if (!a.DType.IsComputeType() || b.DType != a.DType)
            throw new ArgumentException($"{op}: expected two float32 or two float64 tensors, got {a.DType.Name()} and {b.DType.Name()}; convert with To()");
    }

    /// <summary>Only float32 has this op (fast kernels with no float64 counterpart).</summary>
    internal static void RequireFloat32(string op, Tensor a)
    {
        if (a.DType != DType.Float32) throw new ArgumentException($"{op}: expected a float32 tensor, got {a.DType.Name()}; convert with To(DType.Float32)");
    }

    private static Tensor BinaryOp(BinaryOpKind op, string name, Tensor a, Tensor b, Func<Tensor, Tensor, Tensor, (Tensor?, Tensor?)> rule)
    {
        RequireFloat(name, a, b);
        var outShape = ShapeUtil.Broadcast(name, a.shape, b.shape);
        var result = Uninitialized(a.DType, outShape);
        var kernels = TensorKernels.For(a.DType);
        if (a.NumEl == 1 && b.IsContiguous && b.NumEl == result.NumEl)
        {
            kernels.BinaryScalar(op, b, a.ItemAsDouble(), scalarFirst: true, result);
        }
        else if (b.NumEl == 1 && a.IsContiguous && a.NumEl == result.NumEl)
        {
            kernels.BinaryScalar(op, a, b.ItemAsDouble(), scalarFirst: false, result);
        }
        else
        {
            using var av = a.BroadcastViewTo(name, outShape);
            using var bv = b.BroadcastViewTo(name, outShape);
            TensorScope.Untrack(av);
            TensorScope.Untrack(bv);
            kernels.Binary(op, outShape, av, bv, result);
        }
        return Record(result, name, a, b, g => rule(g, a, b));
    }

    private static Tensor ScalarOp(BinaryOpKind op, string name, Tensor x, double s, bool scalarFirst, Func<Tensor, Tensor?> rule)
    {
        RequireFloat(name, x);
        var src = x.Contiguous();
        var result = Uninitialized(x.DType, (int[])x.shape.Clone());
        TensorKernels.For(x.DType).BinaryScalar(op, src, s, scalarFirst, result);
        return Record(result, name, x, rule);
    }

    /// <summary>Applies a unary kernel to a contiguous copy of x; the gradient rule is attached by the caller.</summary>
    private static Tensor UnaryKernel(UnaryOpKind op, Tensor x, string? name)
    {
        RequireFloat(name ?? "unary op", x);
        var src = x.Contiguous();
        var result = Uninitialized(x.DType, (int[])x.shape.Clone());
        TensorKernels.For(x.DType).Unary(op, src, result);
        return result;
    }

    private static ReadOnlySpan<float> ContiguousFloats(Tensor x)
    {
        var c = x.Contiguous();
        return c.FloatArray.AsSpan(c.offset, c.NumEl);
    }
}
