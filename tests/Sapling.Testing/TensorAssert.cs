using Xunit.Sdk;

namespace Sapling.Testing;

/// <summary>Element-wise comparisons with |actual − expected| ≤ atol + rtol·|expected| (numpy.allclose), reporting the worst element.</summary>
public static class TensorAssert
{
    public static void Close(Tensor expected, Tensor actual, float rtol = 1e-5f, float atol = 1e-6f, string? what = null)
    {
        string label = what ?? "tensor";
        if (!expected.Shape.SequenceEqual(actual.Shape))
            throw new XunitException($"{label}: shape {ShapeUtil.Format(actual.Shape.ToArray())} differs from expected {ShapeUtil.Format(expected.Shape.ToArray())}");
        var e = ToFloats(expected);
        var a = ToFloats(actual);
        double worst = 0;
        int worstAt = -1;
        for (int i = 0; i < e.Length; i++)
        {
            if (float.IsNaN(e[i]) && float.IsNaN(a[i])) continue;
            if (float.IsInfinity(e[i]) && e[i] == a[i]) continue;
            double err = Math.Abs((double)a[i] - e[i]);
            double allowed = atol + rtol * Math.Abs(e[i]);
            double excess = double.IsNaN(err) ? double.PositiveInfinity : err / allowed;
            if (excess > 1 && excess > worst)
            {
                worst = excess;
                worstAt = i;
            }
        }
        if (worstAt >= 0)
            throw new XunitException($"{label}: element {worstAt} is {a[worstAt]:G9}, expected {e[worstAt]:G9} (|diff| {Math.Abs(a[worstAt] - e[worstAt]):G3} > atol {atol} + rtol {rtol}·|expected|)");
    }

    public static void Close(float[] expected, Tensor actual, float rtol = 1e-5f, float atol = 1e-6f, string? what = null)
        => Close(Tensor.FromArray(expected, actual.Shape.ToArray()), actual, rtol, atol, what);

    public static void Equal(Tensor expected, Tensor actual, string? what = null) => Close(expected, actual, 0f, 0f, what);

    private static float[] ToFloats(Tensor t) => t.DType == DType.Float32 ? t.ToArray() : t.To(DType.Float32).ToArray();
}
