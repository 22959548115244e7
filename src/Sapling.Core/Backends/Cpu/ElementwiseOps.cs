using System.Numerics.Tensors;

namespace Sapling.Backends.Cpu;

/// <summary>A binary float op, in the three span shapes TensorPrimitives vectorises plus a scalar form for strided loops.</summary>
internal interface IBinaryOp
{
    static abstract float Apply(float a, float b);
    static abstract void Apply(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> d);
    static abstract void Apply(ReadOnlySpan<float> a, float b, Span<float> d);
    static abstract void Apply(float a, ReadOnlySpan<float> b, Span<float> d);
}

internal interface IUnaryOp
{
    static abstract void Apply(ReadOnlySpan<float> x, Span<float> d);
}

internal struct AddOp : IBinaryOp
{
    public static float Apply(float a, float b) => a + b;
    public static void Apply(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> d) => TensorPrimitives.Add(a, b, d);
    public static void Apply(ReadOnlySpan<float> a, float b, Span<float> d) => TensorPrimitives.Add(a, b, d);
    public static void Apply(float a, ReadOnlySpan<float> b, Span<float> d) => TensorPrimitives.Add(b, a, d);
}

internal struct SubOp : IBinaryOp
{
    public static float Apply(float a, float b) => a - b;
    public static void Apply(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> d) => TensorPrimitives.Subtract(a, b, d);
    public static void Apply(ReadOnlySpan<float> a, float b, Span<float> d) => TensorPrimitives.Subtract(a, b, d);
    public static void Apply(float a, ReadOnlySpan<float> b, Span<float> d) => TensorPrimitives.Subtract(a, b, d);
}

internal struct MulOp : IBinaryOp
{
    public static float Apply(float a, float b) => a * b;
    public static void Apply(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> d) => TensorPrimitives.Multiply(a, b, d);
    public static void Apply(ReadOnlySpan<float> a, float b, Span<float> d) => TensorPrimitives.Multiply(a, b, d);
    public static void Apply(float a, ReadOnlySpan<float> b, Span<float> d) => TensorPrimitives.Multiply(b, a, d);
}

internal struct DivOp : IBinaryOp
{
    public static float Apply(float a, float b) => a / b;
    public static void Apply(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> d) => TensorPrimitives.Divide(a, b, d);
    public static void Apply(ReadOnlySpan<float> a, float b, Span<float> d) => TensorPrimitives.Divide(a, b, d);
    public static void Apply(float a, ReadOnlySpan<float> b, Span<float> d) => TensorPrimitives.Divide(a, b, d);
}

internal struct MaxOp : IBinaryOp
{
    public static float Apply(float a, float b) => float.IsNaN(a) || float.IsNaN(b) ? float.NaN : Math.Max(a, b);
    public static void Apply(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> d) => TensorPrimitives.Max(a, b, d);
    public static void Apply(ReadOnlySpan<float> a, float b, Span<float> d) => TensorPrimitives.Max(a, b, d);
    public static void Apply(float a, ReadOnlySpan<float> b, Span<float> d) => TensorPrimitives.Max(b, a, d);
}

internal struct MinOp : IBinaryOp
{
    public static float Apply(float a, float b) => float.IsNaN(a) || float.IsNaN(b) ? float.NaN : Math.Min(a, b);
    public static void Apply(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> d) => TensorPrimitives.Min(a, b, d);
    public static void Apply(ReadOnlySpan<float> a, float b, Span<float> d) => TensorPrimitives.Min(a, b, d);
    public static void Apply(float a, ReadOnlySpan<float> b, Span<float> d) => TensorPrimitives.Min(b, a, d);
}

internal struct PowOp : IBinaryOp
{
    public static float Apply(float a, float b) => MathF.Pow(a, b);
    public static void Apply(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> d) => TensorPrimitives.Pow(a, b, d);
    public static void Apply(ReadOnlySpan<float> a, float b, Span<float> d) => TensorPrimitives.Pow(a, b, d);
    public static void Apply(float a, ReadOnlySpan<float> b, Span<float> d) => TensorPrimitives.Pow(a, b, d);
}

internal struct NegOp : IUnaryOp { public static void Apply(ReadOnlySpan<float> x, Span<float> d) => TensorPrimitives.Negate(x, d); }
internal struct ExpOp : IUnaryOp { public static void Apply(ReadOnlySpan<float> x, Span<float> d) => FastMath.Exp(x, d); }
internal struct LogOp : IUnaryOp { public static void Apply(ReadOnlySpan<float> x, Span<float> d) => TensorPrimitives.Log(x, d); }
internal struct SqrtOp : IUnaryOp { public static void Apply(ReadOnlySpan<float> x, Span<float> d) => TensorPrimitives.Sqrt(x, d); }
internal struct AbsOp : IUnaryOp { public static void Apply(ReadOnlySpan<float> x, Span<float> d) => TensorPrimitives.Abs(x, d); }
internal struct SinOp : IUnaryOp { public static void Apply(ReadOnlySpan<float> x, Span<float> d) => TensorPrimitives.Sin(x, d); }
internal struct CosOp : IUnaryOp { public static void Apply(ReadOnlySpan<float> x, Span<float> d) => TensorPrimitives.Cos(x, d); }
internal struct TanhOp : IUnaryOp { public static void Apply(ReadOnlySpan<float> x, Span<float> d) => FastMath.Tanh(x, d); }
internal struct SigmoidOp : IUnaryOp { public static void Apply(ReadOnlySpan<float> x, Span<float> d) => FastMath.Sigmoid(x, d); }
internal struct ReluOp : IUnaryOp { public static void Apply(ReadOnlySpan<float> x, Span<float> d) => TensorPrimitives.Max(x, 0f, d); }
internal struct SquareOp : IUnaryOp { public static void Apply(ReadOnlySpan<float> x, Span<float> d) => TensorPrimitives.Multiply(x, x, d); }
internal struct ErfOp : IUnaryOp { public static void Apply(ReadOnlySpan<float> x, Span<float> d) => FastMath.Erf(x, d); }
internal struct ReciprocalOp : IUnaryOp { public static void Apply(ReadOnlySpan<float> x, Span<float> d) => TensorPrimitives.Reciprocal(x, d); }

internal struct RsqrtOp : IUnaryOp
{
    public static void Apply(ReadOnlySpan<float> x, Span<float> d)
    {
        TensorPrimitives.Sqrt(x, d);
        TensorPrimitives.Reciprocal(d, d);
    }
}

internal struct SiluOp : IUnaryOp
{
    public static void Apply(ReadOnlySpan<float> x, Span<float> d) => FastMath.Silu(x, d);
}
