namespace Sapling.Backends.Cpu;

/// <summary>
/// Drivers that run an elementwise op over tensors of any layout: contiguous operands go straight to the vectorised
/// span form; broadcast or strided operands are walked row by row after merging dimensions, and each row still uses
/// the span form when its inner stride allows.
/// </summary>
internal static class Elementwise
{
    /// <summary>Below this many elements splitting across threads costs more than it saves.</summary>
    public const int ParallelThreshold = 1 << 15;

    public static void Unary<TOp>(ReadOnlySpan<float> x, Span<float> d) where TOp : IUnaryOp => TOp.Apply(x, d);

    public static void UnaryParallel<TOp>(float[] x, int xOffset, float[] d, int dOffset, int n) where TOp : IUnaryOp
    {
        if (n < ParallelThreshold || CpuWorkers.Threads == 1)
        {
            TOp.Apply(x.AsSpan(xOffset, n), d.AsSpan(dOffset, n));
            return;
        }
        int parts = CpuWorkers.Threads;
        int chunk = (n + parts - 1) / parts;
        chunk = (chunk + 15) & ~15;
        CpuWorkers.For(parts, p =>
        {
            int start = p * chunk;
            int len = Math.Min(chunk, n - start);
            if (len > 0) TOp.Apply(x.AsSpan(xOffset + start, len), d.AsSpan(dOffset + start, len));
        });
    }

    /// <summary>d = op(a, b) over a contiguous d of <paramref name="shape"/>; a and b are views of that shape given by their strides.</summary>
    public static void Binary<TOp>(int[] shape, float[] aa, int aOffset, int[] aStrides, float[] ba, int bOffset, int[] bStrides, float[] da) where TOp : IBinaryOp
    {
        int n = ShapeUtil.Numel(shape);
        if (n == 0) return;
        if (IsDense(shape, aStrides) && IsDense(shape, bStrides))
        {
            Chunked(n, (start, len) => TOp.Apply(aa.AsSpan(aOffset + start, len), ba.AsSpan(bOffset + start, len), da.AsSpan(start, len)));
            return;
        }
        StridedCopy.Coalesce3(shape, aStrides, bStrides, out var merged, out var sa, out var sb);
        int r = merged.Length;
        int inner = merged[r - 1];
        int outer = n / inner;
        int aInner = sa[r - 1], bInner = sb[r - 1];
        var outerStridesA = sa;
        var outerStridesB = sb;
        int rowsPerPart = Math.Max(1, ParallelThreshold / Math.Max(inner, 1));
        int parts = Math.Min(CpuWorkers.Threads, (outer + rowsPerPart - 1) / rowsPerPart);
        int rowsEach = (outer + Math.Max(parts, 1) - 1) / Math.Max(parts, 1);
        void Rows(int first, int count)
        {
            Span<int> counter = stackalloc int[r];
            int rem = first;
            int ao = aOffset, bo = bOffset;
            for (int dd = r - 2; dd >= 0; dd--)
            {
                counter[dd] = rem % merged[dd];
                rem /= merged[dd];
                ao += counter[dd] * outerStridesA[dd];
                bo += counter[dd] * outerStridesB[dd];
            }
            int dOff = first * inner;
            for (int row = 0; row < count; row++)
            {
                var dst = da.AsSpan(dOff, inner);
                if (aInner == 1 && bInner == 1) TOp.Apply(aa.AsSpan(ao, inner), ba.AsSpan(bo, inner), dst);
                else if (aInner == 1 && bInner == 0) TOp.Apply(aa.AsSpan(ao, inner), ba[bo], dst);
                else if (aInner == 0 && bInner == 1) TOp.Apply(aa[ao], ba.AsSpan(bo, inner), dst);
                else for (int i = 0; i < inner; i++) dst[i] = TOp.Apply(aa[ao + i * aInner], ba[bo + i * bInner]);
                dOff += inner;
                for (int dd = r - 2; dd >= 0; dd--)
                {
                    counter[dd]++;
                    ao += outerStridesA[dd];
                    bo += outerStridesB[dd];
                    if (counter[dd] < merged[dd]) break;
                    ao -= outerStridesA[dd] * merged[dd];
                    bo -= outerStridesB[dd] * merged[dd];
                    counter[dd] = 0;
                }
            }
        }
        if (parts <= 1)
        {
            Rows(0, outer);
            return;
        }
        CpuWorkers.For(parts, p =>
        {
            int first = p * rowsEach;
            int count = Math.Min(rowsEach, outer - first);
            if (count > 0) Rows(first, count);
        });
    }

    /// <summary>Whether a view of <paramref name="shape"/> with these strides reads its elements in order, without gaps.</summary>
    private static bool IsDense(int[] shape, int[] strides)
    {
        int expected = 1;
        for (int i = shape.Length - 1; i >= 0; i--)
        {
            if (shape[i] == 1) continue;
            if (strides[i] != expected) return false;
            expected *= shape[i];
        }
        return true;
    }

    /// <summary>Runs body over [0, n) in one piece, or in aligned pieces across the workers when n is large.</summary>
    public static void Chunked(int n, Action<int, int> body)
    {
        if (n < ParallelThreshold || CpuWorkers.Threads == 1)
        {
            body(0, n);
            return;
        }
        int parts = CpuWorkers.Threads;
        int chunk = ((n + parts - 1) / parts + 15) & ~15;
        CpuWorkers.For(parts, p =>
        {
            int start = p * chunk;
            int len = Math.Min(chunk, n - start);
            if (len > 0) body(start, len);
        });
    }
}
