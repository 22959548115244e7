using System.Runtime.CompilerServices;
using Sapling.Backends.Cpu.Simd;

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
        int i = SimdWidth.Use512 ? ForwardBlocks<Float512>(x, y, 0, tanhApproximation) : 0;
        i = ForwardBlocks<Float256>(x, y, i, tanhApproximation);
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
        int i = SimdWidth.Use512 ? BackwardBlocks<Float512>(x, dy, dx, 0, tanhApproximation) : 0;
        i = BackwardBlocks<Float256>(x, dy, dx, i, tanhApproximation);
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

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int ForwardBlocks<V>(ReadOnlySpan<float> x, Span<float> y, int i, bool tanhApproximation) where V : struct, IFloatVector<V>
    {
        var half = V.Create(0.5f);
        for (; i <= x.Length - V.Count; i += V.Count)
        {
            var v = V.Load(x[i..]);
            var cdf = tanhApproximation
                ? half * (V.One + FastMath.Tanh(V.Create(TanhScale) * (v + V.Create(TanhCubic) * v * v * v)))
                : half * (V.One + FastMath.Erf(v * V.Create(InvSqrt2)));
            V.Store(v * cdf, y[i..]);
        }
        return i;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int BackwardBlocks<V>(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dx, int i, bool tanhApproximation) where V : struct, IFloatVector<V>
    {
        var half = V.Create(0.5f);
        for (; i <= x.Length - V.Count; i += V.Count)
        {
            var v = V.Load(x[i..]);
            V slope;
            if (tanhApproximation)
            {
                var v2 = v * v;
                var t = FastMath.Tanh(V.Create(TanhScale) * (v + V.Create(TanhCubic) * v2 * v));
                var du = V.Create(TanhScale) * (V.One + V.Create(3f * TanhCubic) * v2);
                slope = half * (V.One + t) + half * v * (V.One - t * t) * du;
            }
            else
            {
                var cdf = half * (V.One + FastMath.Erf(v * V.Create(InvSqrt2)));
                var pdf = V.Create(InvSqrt2Pi) * FastMath.Exp(V.Create(-0.5f) * v * v);
                slope = cdf + v * pdf;
            }
            V.Store(V.Load(dy[i..]) * slope, dx[i..]);
        }
        return i;
    }
}
