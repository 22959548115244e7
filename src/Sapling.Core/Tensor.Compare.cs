namespace Sapling;

public sealed partial class Tensor
{
    /// <summary>
    /// Elementwise <c>this == other</c> with broadcasting, as a bool tensor; both operands float32 or float64.
    /// </summary>
    public Tensor Eq(Tensor other) => Compare("eq", other, static (a, b) => a == b);
    /// <summary>
    /// Elementwise <c>this != other</c> with broadcasting, as a bool tensor; both operands float32 or float64.
    /// </summary>
    public Tensor Ne(Tensor other) => Compare("ne", other, static (a, b) => a != b);
    /// <summary>
    /// Elementwise <c>this &gt; other</c> with broadcasting, as a bool tensor; both operands float32 or float64.
    /// </summary>
    public Tensor Gt(Tensor other) => Compare("gt", other, static (a, b) => a > b);
    /// <summary>
    /// Elementwise <c>this &gt;= other</c> with broadcasting, as a bool tensor; both operands float32 or float64.
    /// </summary>
    public Tensor Ge(Tensor other) => Compare("ge", other, static (a, b) => a >= b);
    /// <summary>
    /// Elementwise <c>this &lt; other</c> with broadcasting, as a bool tensor; both operands float32 or float64.
    /// </summary>
    public Tensor Lt(Tensor other) => Compare("lt", other, static (a, b) => a < b);
    /// <summary>
    /// Elementwise <c>this &lt;= other</c> with broadcasting, as a bool tensor; both operands float32 or float64.
    /// </summary>
    public Tensor Le(Tensor other) => Compare("le", other, static (a, b) => a <= b);

    // Elements are compared as doubles; for float32 tensors the scalar is first rounded to float, as PyTorch does.
    /// <summary>Elementwise <c>this == s</c>, as a bool tensor.</summary>
    public Tensor Eq(double s) => CompareScalar(s, static (a, b) => a == b);
    /// <summary>Elementwise <c>this != s</c>, as a bool tensor.</summary>
    public Tensor Ne(double s) => CompareScalar(s, static (a, b) => a != b);
    /// <summary>Elementwise <c>this &gt; s</c>, as a bool tensor.</summary>
    public Tensor Gt(double s) => CompareScalar(s, static (a, b) => a > b);
    /// <summary>Elementwise <c>this &gt;= s</c>, as a bool tensor.</summary>
    public Tensor Ge(double s) => CompareScalar(s, static (a, b) => a >= b);
    /// <summary>Elementwise <c>this &lt; s</c>, as a bool tensor.</summary>
    public Tensor Lt(double s) => CompareScalar(s, static (a, b) => a < b);
    /// <summary>Elementwise <c>this &lt;= s</c>, as a bool tensor.</summary>
    public Tensor Le(double s) => CompareScalar(s, static (a, b) => a <= b);

    /// <summary>Elementwise AND of two bool tensors, with broadcasting.</summary>
    public Tensor LogicalAnd(Tensor other) => Logical("logical_and", other, static (a, b) => a && b);
    /// <summary>Elementwise OR of two bool tensors, with broadcasting.</summary>
    public Tensor LogicalOr(Tensor other) => Logical("logical_or", other, static (a, b) => a || b);

    /// <summary>Elementwise NOT of a bool tensor.</summary>
    public Tensor LogicalNot()
    {
        RequireBool("logical_not", this);
        var src = Contiguous().AsSpan<bool>();
        var result = Uninitialized(DType.Bool, (int[])shape.Clone());
        var d = result.AsSpan<bool>();
        for (int i = 0; i < d.Length; i++) d[i] = !src[i];
        return result;
    }

    /// <summary>Elements of <paramref name="a"/> where the condition holds, else of <paramref name="b"/> (all three broadcast).</summary>
    public static Tensor Where(Tensor condition, Tensor a, Tensor b)
    {
        RequireBool("where", condition);
        RequireFloat("where", a, b);
        var outShape = ShapeUtil.Broadcast("where", ShapeUtil.Broadcast("where", condition.shape, a.shape), b.shape);
        var c = condition.BroadcastViewTo("where", outShape).ContiguousCopy();
        var av = a.BroadcastViewTo("where", outShape).ContiguousCopy();
        var bv = b.BroadcastViewTo("where", outShape).ContiguousCopy();
        var result = Uninitialized(a.DType, outShape);
        TensorKernels.For(a.DType).Where(c, av, bv, result);
        c.Dispose();
        av.Dispose();
        bv.Dispose();
        return Record(result, "where", a, b, g =>
            (a.requiresGrad ? Where(condition, g, 0f).SumToShape(a.shape) : null,
             b.requiresGrad ? Where(condition, 0f, g).SumToShape(b.shape) : null));
    }

    /// <summary>The scalar takes the tensor operand's dtype.</summary>
    public static Tensor Where(Tensor condition, Tensor a, double b)
    {
        RequireFloat("where", a);
        using var bt = Full([], b, a.DType);
        return Where(condition, a, bt);
    }

    /// <summary>The scalar takes the tensor operand's dtype.</summary>
    public static Tensor Where(Tensor condition, double a, Tensor b)
    {
        RequireFloat("where", b);
        using var at = Full([], a, b.DType);
        return Where(condition, at, b);
    }

    /// <summary>Returns a copy with <paramref name="value"/> wherever the (broadcast) boolean mask is true.</summary>
    public Tensor MaskedFill(Tensor mask, double value)
    {
        RequireBool("masked_fill", mask);
        RequireFloat("masked_fill", this);
        var outShape = ShapeUtil.Broadcast("masked_fill", shape, mask.shape);
        if (!ShapeUtil.SameShape(outShape, shape))
            throw new ArgumentException($"masked_fill: mask of shape {ShapeUtil.Format(mask.shape)} would broadcast the tensor of shape {ShapeUtil.Format(shape)} to {ShapeUtil.Format(outShape)}");
        return Where(mask, value, this).Reshape(shape);
    }

    /// <summary>The elements where the mask is true, as a 1-D tensor (<c>t[mask]</c>).</summary>
    public Tensor MaskedSelect(Tensor mask)
    {
        RequireBool("masked_select", mask);
        RequireFloat("masked_select", this);
        var outShape = ShapeUtil.Broadcast("masked_select", shape, mask.shape);
        var m = mask.BroadcastViewTo("masked_select", outShape).ContiguousCopy();
        var x = BroadcastViewTo("masked_select", outShape).ContiguousCopy();
        var ms = m.AsSpan<bool>();
        var positions = new List<long>();
        for (int i = 0; i < ms.Length; i++) if (ms[i]) positions.Add(i);
        var idx = FromArray(positions.ToArray());
        var flat = RequiresGrad ? Expand(outShape).Reshape(-1) : x.Reshape(-1);
        return flat.IndexSelect(0, idx);
    }

    private Tensor Compare(string op, Tensor other, Func<double, double, bool> predicate)
    {
        RequireFloat(op, this, other);
        var outShape = ShapeUtil.Broadcast(op, shape, other.shape);
        var a = BroadcastViewTo(op, outShape).ContiguousCopy();
        var b = other.BroadcastViewTo(op, outShape).ContiguousCopy();
        var result = Uninitialized(DType.Bool, outShape);
        if (DType == DType.Float32) ComparePairs<float>(a, b, result, predicate);
        else ComparePairs<double>(a, b, result, predicate);
        a.Dispose();
        b.Dispose();
        return result;
    }

    private static void ComparePairs<T>(Tensor a, Tensor b, Tensor result, Func<double, double, bool> predicate) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var xs = a.AsSpan<T>();
        var ys = b.AsSpan<T>();
        var d = result.AsSpan<bool>();
        for (int i = 0; i < d.Length; i++) d[i] = predicate(double.CreateTruncating(xs[i]), double.CreateTruncating(ys[i]));
    }

    private Tensor CompareScalar(double s, Func<double, double, bool> predicate)
    {
        RequireFloat("compare", this);
        if (DType == DType.Float32) s = (float)s;
        var x = Contiguous();
        var result = Uninitialized(DType.Bool, (int[])shape.Clone());
        if (DType == DType.Float32) CompareWithScalar<float>(x, s, result, predicate);
        else CompareWithScalar<double>(x, s, result, predicate);
        return result;
    }

    private static void CompareWithScalar<T>(Tensor x, double s, Tensor result, Func<double, double, bool> predicate) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var xs = x.AsSpan<T>();
        var d = result.AsSpan<bool>();
        for (int i = 0; i < d.Length; i++) d[i] = predicate(double.CreateTruncating(xs[i]), s);
    }

    private Tensor Logical(string op, Tensor other, Func<bool, bool, bool> f)
    {
        RequireBool(op, this);
        RequireBool(op, other);
        var outShape = ShapeUtil.Broadcast(op, shape, other.shape);
        var a = BroadcastViewTo(op, outShape).ContiguousCopy();
        var b = other.BroadcastViewTo(op, outShape).ContiguousCopy();
        var result = Uninitialized(DType.Bool, outShape);
        var xs = a.AsSpan<bool>();
        var ys = b.AsSpan<bool>();
        var d = result.AsSpan<bool>();
        for (int i = 0; i < d.Length; i++) d[i] = f(xs[i], ys[i]);
        return result;
    }

    private static void RequireBool(string op, Tensor t)
    {
        if (t.DType != DType.Bool) throw new ArgumentException($"{op}: expected a bool tensor (a mask), got {t.DType.Name()}");
    }
}
