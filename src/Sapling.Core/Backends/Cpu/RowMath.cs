using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Sapling.Backends.Cpu;

/// <summary>
/// Short-row reductions and updates written as plain Vector256 loops. Rows in softmax and attention are often only
/// 64-256 long, where TensorPrimitives' per-call setup costs as much as the arithmetic.
/// </summary>
internal static class RowMath
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Max(ReadOnlySpan<float> x)
    {
        int i = 0;
        float max = float.NegativeInfinity;
        if (x.Length >= 8)
        {
            var acc = Vector256.Create(x.Slice(0, 8));
            for (i = 8; i <= x.Length - 8; i += 8) acc = Vector256.Max(acc, Vector256.Create(x.Slice(i, 8)));
            for (int k = 0; k < 8; k++) max = MathF.Max(max, acc[k]);
        }
        for (; i < x.Length; i++) max = MathF.Max(max, x[i]);
        return max;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        var acc = Vector256<float>.Zero;
        int i = 0;
        for (; i <= a.Length - 8; i += 8) acc = Vector256.FusedMultiplyAdd(Vector256.Create(a.Slice(i, 8)), Vector256.Create(b.Slice(i, 8)), acc);
        float sum = Vector256.Sum(acc);
        for (; i < a.Length; i++) sum += a[i] * b[i];
        return sum;
    }

    /// <summary>d = y · (g − c), the softmax backward update.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void ScaledDifference(ReadOnlySpan<float> y, ReadOnlySpan<float> g, float c, Span<float> d)
    {
        var cv = Vector256.Create(c);
        int i = 0;
        for (; i <= y.Length - 8; i += 8) (Vector256.Create(y.Slice(i, 8)) * (Vector256.Create(g.Slice(i, 8)) - cv)).CopyTo(d.Slice(i, 8));
        for (; i < y.Length; i++) d[i] = y[i] * (g[i] - c);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Scale(Span<float> x, float s)
    {
        var sv = Vector256.Create(s);
        int i = 0;
        for (; i <= x.Length - 8; i += 8) (Vector256.Create(x.Slice(i, 8)) * sv).CopyTo(x.Slice(i, 8));
        for (; i < x.Length; i++) x[i] *= s;
    }
}
