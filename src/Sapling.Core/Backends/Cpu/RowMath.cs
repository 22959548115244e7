using System.Runtime.CompilerServices;
using Sapling.Backends.Cpu.Simd;

namespace Sapling.Backends.Cpu;

/// <summary>
/// Short-row reductions and updates written as plain register loops (512-bit blocks where available, then 256-bit,
/// then scalar). Rows in softmax and attention are often only 64-256 long, where TensorPrimitives' per-call setup
/// costs as much as the arithmetic.
/// </summary>
internal static class RowMath
{
    public static float Max(ReadOnlySpan<float> x)
    {
        float max = float.NegativeInfinity;
        int i = SimdWidth.Use512 ? MaxBlocks<Float512>(x, 0, ref max) : 0;
        i = MaxBlocks<Float256>(x, i, ref max);
        for (; i < x.Length; i++) max = MathF.Max(max, x[i]);
        return max;
    }

    public static float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        float sum = 0f;
        int i = SimdWidth.Use512 ? DotBlocks<Float512>(a, b, 0, ref sum) : 0;
        i = DotBlocks<Float256>(a, b, i, ref sum);
        for (; i < a.Length; i++) sum += a[i] * b[i];
        return sum;
    }

    /// <summary>d = y · (g − c), the softmax backward update.</summary>
    public static void ScaledDifference(ReadOnlySpan<float> y, ReadOnlySpan<float> g, float c, Span<float> d)
    {
        int i = SimdWidth.Use512 ? ScaledDifferenceBlocks<Float512>(y, g, c, d, 0) : 0;
        i = ScaledDifferenceBlocks<Float256>(y, g, c, d, i);
        for (; i < y.Length; i++) d[i] = y[i] * (g[i] - c);
    }

    public static void Scale(Span<float> x, float s)
    {
        int i = SimdWidth.Use512 ? ScaleBlocks<Float512>(x, s, 0) : 0;
        i = ScaleBlocks<Float256>(x, s, i);
        for (; i < x.Length; i++) x[i] *= s;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int MaxBlocks<V>(ReadOnlySpan<float> x, int i, ref float max) where V : struct, IFloatVector<V>
    {
        if (i > x.Length - V.Count) return i;
        var acc = V.Load(x[i..]);
        for (i += V.Count; i <= x.Length - V.Count; i += V.Count) acc = V.Max(acc, V.Load(x[i..]));
        max = MathF.Max(max, V.MaxAcross(acc));
        return i;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int DotBlocks<V>(ReadOnlySpan<float> a, ReadOnlySpan<float> b, int i, ref float sum) where V : struct, IFloatVector<V>
    {
        if (i > a.Length - V.Count) return i;
        var acc = V.Zero;
        for (; i <= a.Length - V.Count; i += V.Count) acc = V.FusedMultiplyAdd(V.Load(a[i..]), V.Load(b[i..]), acc);
        sum += V.Sum(acc);
        return i;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int ScaledDifferenceBlocks<V>(ReadOnlySpan<float> y, ReadOnlySpan<float> g, float c, Span<float> d, int i) where V : struct, IFloatVector<V>
    {
        var cv = V.Create(c);
        for (; i <= y.Length - V.Count; i += V.Count) V.Store(V.Load(y[i..]) * (V.Load(g[i..]) - cv), d[i..]);
        return i;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int ScaleBlocks<V>(Span<float> x, float s, int i) where V : struct, IFloatVector<V>
    {
        var sv = V.Create(s);
        for (; i <= x.Length - V.Count; i += V.Count) V.Store(V.Load(x[i..]) * sv, x[i..]);
        return i;
    }
}
