using System.Numerics.Tensors;

namespace Sapling.Backends.Cpu;

/// <summary>
/// Reductions over the middle axis of a contiguous [outer, reduce, inner] view. Any set of reduced dimensions is
/// brought to that form by the tensor layer, so these few loops serve every axis combination.
/// </summary>
internal static class ReduceKernels
{
    public static void Sum(ReadOnlySpan<float> x, Span<float> y, int outer, int reduce, int inner)
    {
        if (inner == 1)
        {
            for (int a = 0; a < outer; a++) y[a] = TensorPrimitives.Sum(x.Slice(a * reduce, reduce));
            return;
        }
        for (int a = 0; a < outer; a++)
        {
            var dst = y.Slice(a * inner, inner);
            var baseRow = x.Slice(a * reduce * inner);
            if (reduce == 0)
            {
                dst.Clear();
                continue;
            }
            baseRow.Slice(0, inner).CopyTo(dst);
            for (int r = 1; r < reduce; r++) TensorPrimitives.Add(dst, baseRow.Slice(r * inner, inner), dst);
        }
    }

    /// <summary>Max (or min) with the index of the first extreme element along the reduced axis; NaN wins, as in PyTorch.</summary>
    public static void ArgExtreme(ReadOnlySpan<float> x, Span<float> values, Span<long> indices, int outer, int reduce, int inner, bool max)
    {
        for (int a = 0; a < outer; a++)
        {
            for (int c = 0; c < inner; c++)
            {
                int at = a * reduce * inner + c;
                float best = x[at];
                long bestIndex = 0;
                for (int r = 1; r < reduce && !float.IsNaN(best); r++)
                {
                    float v = x[at + r * inner];
                    if (float.IsNaN(v) || (max ? v > best : v < best))
                    {
                        best = v;
                        bestIndex = r;
                    }
                }
                values[a * inner + c] = best;
                indices[a * inner + c] = bestIndex;
            }
        }
    }
}
