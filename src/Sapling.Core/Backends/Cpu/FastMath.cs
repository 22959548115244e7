using System.Runtime.CompilerServices;
using Sapling.Backends.Cpu.Simd;

namespace Sapling.Backends.Cpu;

/// <summary>
/// Vectorised exp, tanh, sigmoid and erf for float32. TensorPrimitives.Exp/Tanh run element by element on this
/// runtime (about 12 ns per value, measured), which made softmax, GELU and cross-entropy ten times slower than
/// PyTorch; these register-level versions are accurate to a few ulp (exp) or ~1e-7 absolute (tanh, erf) and let the
/// fused kernels keep everything in registers. Each is written once over <see cref="IFloatVector{TSelf}"/>; the span
/// functions run 512-bit blocks where the processor has them, then 256-bit blocks, then a scalar tail.
/// </summary>
internal static class FastMath
{
    private const float ExpHi = 88.72283f;
    private const float ExpLo = -87.33654f;
    private const float Log2E = 1.44269504088896341f;
    private const float Ln2Hi = 0.693359375f;
    private const float Ln2Lo = -2.12194440e-4f;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V Exp<V>(V x) where V : struct, IFloatVector<V>
    {
        var clamped = V.Min(V.Max(x, V.Create(ExpLo)), V.Create(ExpHi));
        var n = V.Round(clamped * V.Create(Log2E));
        var r = clamped - n * V.Create(Ln2Hi) - n * V.Create(Ln2Lo);
        var r2 = r * r;
        var p = V.Create(1.9875691500E-4f);
        p = p * r + V.Create(1.3981999507E-3f);
        p = p * r + V.Create(8.3334519073E-3f);
        p = p * r + V.Create(4.1665795894E-2f);
        p = p * r + V.Create(1.6666665459E-1f);
        p = p * r + V.Create(5.0000001201E-1f);
        var y = V.ScaleByPowerOfTwo(p * r2 + r + V.One, n);
        // Below the clamp the true value is under FLT_MIN: return 0 so exp(-inf) is exactly 0 (masked attention).
        y = V.Select(V.LessThan(x, V.Create(ExpLo)), V.Zero, y);
        y = V.Select(V.GreaterThan(x, V.Create(ExpHi)), V.Create(float.PositiveInfinity), y);
        return V.Select(V.IsNumber(x), y, x);
    }

    /// <summary>tanh(x) = sign(x)·(1 − e)/(1 + e) with e = exp(−2|x|), which never overflows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V Tanh<V>(V x) where V : struct, IFloatVector<V>
    {
        var e = Exp(V.Abs(x) * V.Create(-2f));
        return V.CopySign((V.One - e) / (V.One + e), x);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V Sigmoid<V>(V x) where V : struct, IFloatVector<V> => V.One / (V.One + Exp(-x));

    /// <summary>erf by Abramowitz-Stegun 7.1.26 (absolute error ≤ 1.5e-7, float's own resolution near 1).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V Erf<V>(V x) where V : struct, IFloatVector<V>
    {
        var ax = V.Abs(x);
        var t = V.One / (V.One + V.Create(0.3275911f) * ax);
        var p = V.Create(1.061405429f);
        p = p * t + V.Create(-1.453152027f);
        p = p * t + V.Create(1.421413741f);
        p = p * t + V.Create(-0.284496736f);
        p = p * t + V.Create(0.254829592f);
        p *= t;
        return V.CopySign(V.One - p * Exp(-(ax * ax)), x);
    }

    public static float Erf(float x)
    {
        float ax = MathF.Abs(x);
        float t = 1f / (1f + 0.3275911f * ax);
        float p = ((((1.061405429f * t - 1.453152027f) * t + 1.421413741f) * t - 0.284496736f) * t + 0.254829592f) * t;
        float y = 1f - p * MathF.Exp(-ax * ax);
        return x < 0 ? -y : y;
    }

    public static void Exp(ReadOnlySpan<float> x, Span<float> y)
    {
        int i = SimdWidth.Use512 ? Map<Float512, ExpFunction>(x, y, 0) : 0;
        i = Map<Float256, ExpFunction>(x, y, i);
        for (; i < x.Length; i++) y[i] = MathF.Exp(x[i]);
    }

    public static void Tanh(ReadOnlySpan<float> x, Span<float> y)
    {
        int i = SimdWidth.Use512 ? Map<Float512, TanhFunction>(x, y, 0) : 0;
        i = Map<Float256, TanhFunction>(x, y, i);
        for (; i < x.Length; i++) y[i] = MathF.Tanh(x[i]);
    }

    public static void Erf(ReadOnlySpan<float> x, Span<float> y)
    {
        int i = SimdWidth.Use512 ? Map<Float512, ErfFunction>(x, y, 0) : 0;
        i = Map<Float256, ErfFunction>(x, y, i);
        for (; i < x.Length; i++) y[i] = Erf(x[i]);
    }

    public static void Sigmoid(ReadOnlySpan<float> x, Span<float> y)
    {
        int i = SimdWidth.Use512 ? Map<Float512, SigmoidFunction>(x, y, 0) : 0;
        i = Map<Float256, SigmoidFunction>(x, y, i);
        for (; i < x.Length; i++) y[i] = 1f / (1f + MathF.Exp(-x[i]));
    }

    public static void Silu(ReadOnlySpan<float> x, Span<float> y)
    {
        int i = SimdWidth.Use512 ? Map<Float512, SiluFunction>(x, y, 0) : 0;
        i = Map<Float256, SiluFunction>(x, y, i);
        for (; i < x.Length; i++) y[i] = x[i] / (1f + MathF.Exp(-x[i]));
    }

    /// <summary>Σ exp(x − shift) without storing the exponentials.</summary>
    public static float SumExp(ReadOnlySpan<float> x, float shift)
    {
        float sum = 0f;
        int i = SimdWidth.Use512 ? SumExpBlocks<Float512>(x, shift, 0, ref sum) : 0;
        i = SumExpBlocks<Float256>(x, shift, i, ref sum);
        for (; i < x.Length; i++) sum += MathF.Exp(x[i] - shift);
        return sum;
    }

    /// <summary>y = exp(x − shift), returning Σ y (the softmax numerator and denominator in one pass).</summary>
    public static float ExpShiftedAndSum(ReadOnlySpan<float> x, float shift, Span<float> y)
    {
        float sum = 0f;
        int i = SimdWidth.Use512 ? ExpShiftedBlocks<Float512>(x, shift, y, 0, ref sum) : 0;
        i = ExpShiftedBlocks<Float256>(x, shift, y, i, ref sum);
        for (; i < x.Length; i++)
        {
            y[i] = MathF.Exp(x[i] - shift);
            sum += y[i];
        }
        return sum;
    }

    /// <summary>A function of one register, so <see cref="Map{V, F}"/> is compiled once per function and width.</summary>
    private interface IVectorFunction
    {
        static abstract V Apply<V>(V x) where V : struct, IFloatVector<V>;
    }

    private struct ExpFunction : IVectorFunction
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V Apply<V>(V x) where V : struct, IFloatVector<V> => Exp(x);
    }

    private struct ErfFunction : IVectorFunction
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V Apply<V>(V x) where V : struct, IFloatVector<V> => Erf(x);
    }

    private struct TanhFunction : IVectorFunction
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V Apply<V>(V x) where V : struct, IFloatVector<V> => Tanh(x);
    }

    private struct SigmoidFunction : IVectorFunction
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V Apply<V>(V x) where V : struct, IFloatVector<V> => Sigmoid(x);
    }

    private struct SiluFunction : IVectorFunction
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V Apply<V>(V x) where V : struct, IFloatVector<V> => x * Sigmoid(x);
    }

    /// <summary>y = f(x) over whole registers from <paramref name="i"/>; returns where the blocks stopped.</summary>
    private static int Map<V, F>(ReadOnlySpan<float> x, Span<float> y, int i) where V : struct, IFloatVector<V> where F : struct, IVectorFunction
    {
        for (; i <= x.Length - V.Count; i += V.Count) V.Store(F.Apply(V.Load(x[i..])), y[i..]);
        return i;
    }

    private static int SumExpBlocks<V>(ReadOnlySpan<float> x, float shift, int i, ref float sum) where V : struct, IFloatVector<V>
    {
        if (i > x.Length - V.Count) return i;
        var acc = V.Zero;
        var s = V.Create(shift);
        for (; i <= x.Length - V.Count; i += V.Count) acc += Exp(V.Load(x[i..]) - s);
        sum += V.Sum(acc);
        return i;
    }

    private static int ExpShiftedBlocks<V>(ReadOnlySpan<float> x, float shift, Span<float> y, int i, ref float sum) where V : struct, IFloatVector<V>
    {
        if (i > x.Length - V.Count) return i;
        var acc = V.Zero;
        var s = V.Create(shift);
        for (; i <= x.Length - V.Count; i += V.Count)
        {
            var e = Exp(V.Load(x[i..]) - s);
            V.Store(e, y[i..]);
            acc += e;
        }
        sum += V.Sum(acc);
        return i;
    }
}
