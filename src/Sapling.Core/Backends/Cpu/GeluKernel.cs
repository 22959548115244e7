using System.Runtime.Intrinsics;

namespace Sapling.Backends.Cpu;

/// <summary>GELU forward and backward in one vectorised pass each, exact (erf) or with GPT-2's tanh approximation.</summary>
internal static class GeluKernel
{
    private const float InvSqrt2 = 0.70710678118654752f;
    private const float InvSqrt2Pi = 0.39894228040143268f;
    private const float TanhScale = 0.79788456080286536f; // sqrt(2/pi)
    private const float TanhCubic = 0.044715f;

    public static void Forward(ReadOnlySpan<float> x, Span<float> y, bool tanhApproximation)
    {
        int i = 0;
        var half = Vector256.Create(0.5f);
        for (; i <= x.Length - 8; i += 8)
        {
            var v = Vector256.Create(x.Slice(i, 8));
            var cdf = tanhApproximation
                ? half * (Vector256<float>.One + FastMath.Tanh(Vector256.Create(TanhScale) * (v + Vector256.Create(TanhCubic) * v * v * v)))
                : half * (Vector256<float>.One + FastMath.Erf(v * Vector256.Create(InvSqrt2)));
            (v * cdf).CopyTo(y.Slice(i, 8));
        }
        for (; i < x.Length; i++)
        {
            float v = x[i];
            float cdf = tanhApproximation
                ? 0.5f * (1f + MathF.Tanh(TanhScale * (v + TanhCubic * v * v * v)))
                : 0.5f * (1f + FastMath.Erf(v * InvSqrt2));
            y[i] = v * cdf;
        }
    }

    /// <summary>d/dx x·Φ(x) = Φ(x) + x·φ(x); for the tanh form Φ is 0.5(1 + tanh(u)) with u = √(2/π)(x + 0.044715x³).</summary>
    public static void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dx, bool tanhApproximation)
    {
        int i = 0;
        var half = Vector256.Create(0.5f);
        for (; i <= x.Length - 8; i += 8)
        {
            var v = Vector256.Create(x.Slice(i, 8));
            Vector256<float> slope;
            if (tanhApproximation)
            {
                var v2 = v * v;
                var t = FastMath.Tanh(Vector256.Create(TanhScale) * (v + Vector256.Create(TanhCubic) * v2 * v));
                var du = Vector256.Create(TanhScale) * (Vector256<float>.One + Vector256.Create(3f * TanhCubic) * v2);
                slope = half * (Vector256<float>.One + t) + half * v * (Vector256<float>.One - t * t) * du;
            }
            else
            {
                var cdf = half * (Vector256<float>.One + FastMath.Erf(v * Vector256.Create(InvSqrt2)));
                var pdf = Vector256.Create(InvSqrt2Pi) * FastMath.Exp(Vector256.Create(-0.5f) * v * v);
                slope = cdf + v * pdf;
            }
            (Vector256.Create(dy.Slice(i, 8)) * slope).CopyTo(dx.Slice(i, 8));
        }
        for (; i < x.Length; i++)
        {
            float v = x[i];
            float slope;
            if (tanhApproximation)
            {
                float t = MathF.Tanh(TanhScale * (v + TanhCubic * v * v * v));
                slope = 0.5f * (1f + t) + 0.5f * v * (1f - t * t) * TanhScale * (1f + 3f * TanhCubic * v * v);
            }
            else
            {
                slope = 0.5f * (1f + FastMath.Erf(v * InvSqrt2)) + v * InvSqrt2Pi * MathF.Exp(-0.5f * v * v);
            }
            dx[i] = dy[i] * slope;
        }
    }
}
