using System.Runtime.CompilerServices;
using Sapling.Backends.Cpu.Simd;

namespace Sapling.Backends.Cpu;

/// <summary>
/// Fused backward kernels for activations: one pass, no temporaries, whole registers (512-bit where available, then
/// 256-bit, then scalar). ReLU's gradient is a select rather than a branch: after a ReLU about half the inputs are
/// zero in no pattern, and a branch per element mispredicted often enough to cost ~2.5 ns per value.
/// </summary>
internal static class ActivationGrad
{
    /// <summary>From the output: d = g·(1 − y²).</summary>
    public static void Tanh(ReadOnlySpan<float> g, ReadOnlySpan<float> y, Span<float> d)
    {
        int i = SimdWidth.Use512 ? Map<Float512, TanhGrad>(g, y, d, 0) : 0;
        i = Map<Float256, TanhGrad>(g, y, d, i);
        for (; i < d.Length; i++) d[i] = g[i] * (1f - y[i] * y[i]);
    }

    /// <summary>From the output: d = g·y·(1 − y).</summary>
    public static void Sigmoid(ReadOnlySpan<float> g, ReadOnlySpan<float> y, Span<float> d)
    {
        int i = SimdWidth.Use512 ? Map<Float512, SigmoidGrad>(g, y, d, 0) : 0;
        i = Map<Float256, SigmoidGrad>(g, y, d, i);
        for (; i < d.Length; i++) d[i] = g[i] * y[i] * (1f - y[i]);
    }

    /// <summary>From the input: d = g where x &gt; 0, else 0 (also for NaN inputs, as PyTorch's threshold_backward).</summary>
    public static void Relu(ReadOnlySpan<float> g, ReadOnlySpan<float> x, Span<float> d)
    {
        int i = SimdWidth.Use512 ? Map<Float512, ReluGrad>(g, x, d, 0) : 0;
        i = Map<Float256, ReluGrad>(g, x, d, i);
        for (; i < d.Length; i++) d[i] = x[i] > 0f ? g[i] : 0f;
    }

    /// <summary>From the input: d/dx x·σ(x) = σ(x)·(1 + x·(1 − σ(x))).</summary>
    public static void Silu(ReadOnlySpan<float> g, ReadOnlySpan<float> x, Span<float> d)
    {
        int i = SimdWidth.Use512 ? Map<Float512, SiluGrad>(g, x, d, 0) : 0;
        i = Map<Float256, SiluGrad>(g, x, d, i);
        for (; i < d.Length; i++)
        {
            float s = 1f / (1f + MathF.Exp(-x[i]));
            d[i] = g[i] * s * (1f + x[i] * (1f - s));
        }
    }

    /// <summary>The gradient d from the upstream gradient g and the saved value s (input or output) of one register.</summary>
    private interface IGradient
    {
        static abstract V Apply<V>(V g, V s) where V : struct, IFloatVector<V>;
    }

    private struct TanhGrad : IGradient
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V Apply<V>(V g, V y) where V : struct, IFloatVector<V> => g * (V.One - y * y);
    }

    private struct SigmoidGrad : IGradient
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V Apply<V>(V g, V y) where V : struct, IFloatVector<V> => g * y * (V.One - y);
    }

    private struct ReluGrad : IGradient
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V Apply<V>(V g, V x) where V : struct, IFloatVector<V> => V.Select(V.GreaterThan(x, V.Zero), g, V.Zero);
    }

    private struct SiluGrad : IGradient
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static V Apply<V>(V g, V x) where V : struct, IFloatVector<V>
        {
            var s = FastMath.Sigmoid(x);
            return g * s * (V.One + x * (V.One - s));
        }
    }

    private static int Map<V, F>(ReadOnlySpan<float> g, ReadOnlySpan<float> saved, Span<float> d, int i) where V : struct, IFloatVector<V> where F : struct, IGradient
    {
        for (; i <= d.Length - V.Count; i += V.Count) V.Store(F.Apply(V.Load(g[i..]), V.Load(saved[i..])), d[i..]);
        return i;
    }
}
