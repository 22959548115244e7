using Sapling.Autograd;
using Sapling.Backends.Cpu;

namespace Sapling;

public sealed partial class Tensor
{
    public Tensor Add(Tensor other) => BinaryOp<AddOp>("add", this, other, (g, a, b) => (g.SumToShape(a.shape), g.SumToShape(b.shape)));

    public Tensor Sub(Tensor other) => BinaryOp<SubOp>("sub", this, other, (g, a, b) => (g.SumToShape(a.shape), b.requiresGrad ? g.Neg().SumToShape(b.shape) : null));

    public Tensor Mul(Tensor other) => BinaryOp<MulOp>("mul", this, other, (g, a, b) =>
        (a.requiresGrad ? g.Mul(b).SumToShape(a.shape) : null, b.requiresGrad ? g.Mul(a).SumToShape(b.shape) : null));

    public Tensor Div(Tensor other) => BinaryOp<DivOp>("div", this, other, (g, a, b) =>
        (a.requiresGrad ? g.Div(b).SumToShape(a.shape) : null,
         b.requiresGrad ? g.Mul(a).Div(b.Mul(b)).Neg().SumToShape(b.shape) : null));

    /// <summary>Elementwise maximum; at ties the gradient goes to the first operand, as in PyTorch.</summary>
    public Tensor Maximum(Tensor other) => BinaryOp<MaxOp>("maximum", this, other, (g, a, b) =>
    {
        using var aWins = a.Ge(b);
        return (a.requiresGrad ? Where(aWins, g, 0f).SumToShape(a.shape) : null, b.requiresGrad ? Where(aWins, 0f, g).SumToShape(b.shape) : null);
    });

    public Tensor Minimum(Tensor other) => BinaryOp<MinOp>("minimum", this, other, (g, a, b) =>
    {
        using var aWins = a.Le(b);
        return (a.requiresGrad ? Where(aWins, g, 0f).SumToShape(a.shape) : null, b.requiresGrad ? Where(aWins, 0f, g).SumToShape(b.shape) : null);
    });

    public Tensor Pow(Tensor exponent) => BinaryOp<PowOp>("pow", this, exponent, (g, a, b) =>
        (a.requiresGrad ? g.Mul(b).Mul(a.Pow(b.Sub(1f))).SumToShape(a.shape) : null,
         b.requiresGrad ? g.Mul(a.Pow(b)).Mul(a.Log()).SumToShape(b.shape) : null));

    public Tensor Add(float s) => ScalarOp<AddOp>("add", this, s, false, g => g);

    public Tensor Sub(float s) => ScalarOp<SubOp>("sub", this, s, false, g => g);

    public Tensor Mul(float s) => ScalarOp<MulOp>("mul", this, s, false, g => g.Mul(s));

    public Tensor Div(float s) => ScalarOp<DivOp>("div", this, s, false, g => g.Div(s));

    /// <summary><c>s - this</c>.</summary>
    public Tensor RSub(float s) => ScalarOp<SubOp>("rsub", this, s, true, g => g.Neg());

    /// <summary><c>s / this</c>.</summary>
    public Tensor RDiv(float s)
    {
        Tensor? self = null;
        var result = ScalarOp<DivOp>("rdiv", this, s, true, g => g.Mul(self!).Mul(self!).Div(-s));
        self = result;
        return result;
    }

    public Tensor Pow(float p)
    {
        var x = this;
        if (p == 2f) return Square();
        return ScalarOp<PowOp>("pow", this, p, false, g => g.Mul(x.Pow(p - 1f)).Mul(p));
    }

    public Tensor Maximum(float s)
    {
        var x = this;
        return ScalarOp<MaxOp>("maximum", this, s, false, g => Where(x.Ge(s), g, 0f));
    }

    public Tensor Minimum(float s)
    {
        var x = this;
        return ScalarOp<MinOp>("minimum", this, s, false, g => Where(x.Le(s), g, 0f));
    }

    /// <summary>Limits values to [min, max]; the gradient passes only where the input was inside.</summary>
    public Tensor Clamp(float min, float max)
    {
        if (min > max) throw new ArgumentException($"clamp: min {min} is greater than max {max}");
        var x = this;
        var result = Uninitialized(DType.Float32, (int[])shape.Clone());
        var span = result.AsSpan();
        System.Numerics.Tensors.TensorPrimitives.Clamp(ContiguousFloats(this), min, max, span);
        return Record(result, "clamp", this, g =>
        {
            using var inside = x.Ge(min).LogicalAnd(x.Le(max));
            return Where(inside, g, 0f);
        });
    }

    public static Tensor operator +(Tensor a, Tensor b) => a.Add(b);
    public static Tensor operator -(Tensor a, Tensor b) => a.Sub(b);
    public static Tensor operator *(Tensor a, Tensor b) => a.Mul(b);
    public static Tensor operator /(Tensor a, Tensor b) => a.Div(b);
    public static Tensor operator +(Tensor a, float s) => a.Add(s);
    public static Tensor operator +(float s, Tensor a) => a.Add(s);
    public static Tensor operator -(Tensor a, float s) => a.Sub(s);
    public static Tensor operator -(float s, Tensor a) => a.RSub(s);
    public static Tensor operator *(Tensor a, float s) => a.Mul(s);
    public static Tensor operator *(float s, Tensor a) => a.Mul(s);
    public static Tensor operator /(Tensor a, float s) => a.Div(s);
    public static Tensor operator /(float s, Tensor a) => a.RDiv(s);
    public static Tensor operator -(Tensor a) => a.Neg();

    /// <summary>this += other (broadcast), in place. Refused while recording on a tensor that requires grad.</summary>
    public Tensor AddInPlace(Tensor other, float alpha = 1f)
    {
        CheckInPlace("add_");
        RequireFloat("add_", this, other);
        var src = ShapeUtil.SameShape(other.shape, shape) ? other : other.BroadcastViewTo("add_", shape);
        if (IsContiguous && src.IsContiguous)
        {
            var d = AsSpan();
            var s = src.AsSpan();
            if (alpha == 1f) System.Numerics.Tensors.TensorPrimitives.Add(d, s, d);
            else System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(s, alpha, d, d);
            return this;
        }
        using var sum = alpha == 1f ? this.Add(src) : this.Add(src.Mul(alpha));
        CopyFrom(sum);
        return this;
    }

    /// <summary>this *= s, in place.</summary>
    public Tensor MulInPlace(float s)
    {
        CheckInPlace("mul_");
        RequireFloat("mul_", this);
        if (IsContiguous)
        {
            var d = AsSpan();
            System.Numerics.Tensors.TensorPrimitives.Multiply(d, s, d);
            return this;
        }
        using var product = Mul(s);
        CopyFrom(product);
        return this;
    }

    /// <summary>Sets every element to <paramref name="value"/>, in place.</summary>
    public Tensor Fill(float value)
    {
        CheckInPlace("fill_");
        using var v = Full([], value);
        using var cast = DType == DType.Float32 ? v : v.To(DType);
        return CopyFrom(cast);
    }

    private void CheckInPlace(string op)
    {
        ThrowIfDisposed();
        if (requiresGrad && NoGrad.IsEnabled)
            throw new InvalidOperationException($"{op}: in-place change of a tensor that requires grad while gradients are recorded; wrap it in NoGrad.Enter() (as optimisers do) or use the out-of-place op");
    }

    internal static void RequireFloat(string op, Tensor a)
    {
        if (a.DType != DType.Float32) throw new ArgumentException($"{op}: expected a float32 tensor, got {a.DType.Name()}; convert with To(DType.Float32)");
    }

    internal static void RequireFloat(string op, Tensor a, Tensor b)
    {
        if (a.DType != DType.Float32 || b.DType != DType.Float32)
            throw new ArgumentException($"{op}: expected float32 tensors, got {a.DType.Name()} and {b.DType.Name()}; convert with To(DType.Float32)");
    }

    private static Tensor BinaryOp<TOp>(string name, Tensor a, Tensor b, Func<Tensor, Tensor, Tensor, (Tensor?, Tensor?)> rule) where TOp : IBinaryOp
    {
        RequireFloat(name, a, b);
        var outShape = ShapeUtil.Broadcast(name, a.shape, b.shape);
        var result = Uninitialized(DType.Float32, outShape);
        if (a.NumEl == 1 && b.IsContiguous && b.NumEl == result.NumEl)
        {
            float s = a.Item();
            Elementwise.Chunked(result.NumEl, (start, len) => TOp.Apply(s, b.FloatArray.AsSpan(b.offset + start, len), result.FloatArray.AsSpan(start, len)));
        }
        else if (b.NumEl == 1 && a.IsContiguous && a.NumEl == result.NumEl)
        {
            float s = b.Item();
            Elementwise.Chunked(result.NumEl, (start, len) => TOp.Apply(a.FloatArray.AsSpan(a.offset + start, len), s, result.FloatArray.AsSpan(start, len)));
        }
        else
        {
            using var av = a.BroadcastViewTo(name, outShape);
            using var bv = b.BroadcastViewTo(name, outShape);
            TensorScope.Untrack(av);
            TensorScope.Untrack(bv);
            Elementwise.Binary<TOp>(av, bv, result);
        }
        return Record(result, name, a, b, g => rule(g, a, b));
    }

    private static Tensor ScalarOp<TOp>(string name, Tensor x, float s, bool scalarFirst, Func<Tensor, Tensor?> rule) where TOp : IBinaryOp
    {
        RequireFloat(name, x);
        var src = x.Contiguous();
        var result = Uninitialized(DType.Float32, (int[])x.shape.Clone());
        var sa = src.FloatArray;
        var da = result.FloatArray;
        int so = src.offset;
        if (scalarFirst) Elementwise.Chunked(result.NumEl, (start, len) => TOp.Apply(s, sa.AsSpan(so + start, len), da.AsSpan(start, len)));
        else Elementwise.Chunked(result.NumEl, (start, len) => TOp.Apply(sa.AsSpan(so + start, len), s, da.AsSpan(start, len)));
        return Record(result, name, x, rule);
    }

    /// <summary>Applies a unary kernel to a contiguous copy of x; the gradient rule is attached by the caller.</summary>
    private static Tensor UnaryKernel<TOp>(Tensor x, string? name) where TOp : IUnaryOp
    {
        RequireFloat(name ?? "unary op", x);
        var src = x.Contiguous();
        var result = Uninitialized(DType.Float32, (int[])x.shape.Clone());
        Elementwise.UnaryParallel<TOp>(src.FloatArray, src.offset, result.FloatArray, 0, result.NumEl);
        return result;
    }

    private static ReadOnlySpan<float> ContiguousFloats(Tensor x)
    {
        var c = x.Contiguous();
        return c.FloatArray.AsSpan(c.offset, c.NumEl);
    }
}
