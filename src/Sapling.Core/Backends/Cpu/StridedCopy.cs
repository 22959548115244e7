namespace Sapling.Backends.Cpu;

/// <summary>Copies between strided layouts; the innermost dimension is a tight loop (or a block copy when unit-strided).</summary>
internal static class StridedCopy
{
    /// <summary>Reads a strided view into a dense row-major destination.</summary>
    public static void Gather<T>(T[] src, int srcOffset, int[] shape, int[] srcStrides, Span<T> dst) where T : unmanaged
    {
        Copy(src, srcOffset, srcStrides, dst, ShapeUtil.ContiguousStrides(shape), shape);
    }

    /// <summary>Copies of at least this many elements are split across the workers (below it one core keeps up with memory).</summary>
    public const int ParallelThreshold = 1 << 16;

    /// <summary>
    /// <see cref="Copy{T}"/> between arrays, split across the workers along the first dimension longer than one when
    /// the copy is large (the layout changes around convolutions and attention heads move megabytes per call).
    /// </summary>
    public static void CopyArrays<T>(T[] src, int srcOffset, int[] srcStrides, T[] dst, int dstOffset, int[] dstStrides, int[] shape) where T : unmanaged
    {
        int split = -1;
        for (int d = 0; d < shape.Length && split < 0; d++)
            if (shape[d] > 1) split = d;
        // A destination stride of 0 (a broadcast destination) would have two workers write one element.
        if (split < 0 || dstStrides[split] == 0 || CpuWorkers.Threads == 1 || ShapeUtil.Numel(shape) < ParallelThreshold)
        {
            Copy(src, srcOffset, srcStrides, dst.AsSpan(dstOffset), dstStrides, shape);
            return;
        }
        int size = shape[split];
        int parts = Math.Min(CpuWorkers.Threads, size);
        CpuWorkers.For(parts, p =>
        {
            int lo = (int)((long)size * p / parts), hi = (int)((long)size * (p + 1) / parts);
            var part = (int[])shape.Clone();
            part[split] = hi - lo;
            // Dimensions before the split have size 1, so only the split dimension moves the two offsets.
            Copy(src, srcOffset + lo * srcStrides[split], srcStrides, dst.AsSpan(dstOffset + lo * dstStrides[split]), dstStrides, part);
        });
    }

    /// <summary>General strided-to-strided copy; <paramref name="dst"/> starts at the destination's offset.</summary>
    public static void Copy<T>(T[] src, int srcOffset, int[] srcStrides, Span<T> dst, int[] dstStrides, int[] shape) where T : unmanaged
    {
        int rank = shape.Length;
        int n = ShapeUtil.Numel(shape);
        if (n == 0) return;
        if (rank == 0)
        {
            dst[0] = src[srcOffset];
            return;
        }
        Coalesce(shape, srcStrides, dstStrides, out var cShape, out var cSrc, out var cDst);
        int r = cShape.Length;
        int inner = cShape[r - 1];
        int sInner = cSrc[r - 1];
        int dInner = cDst[r - 1];
        int outer = n / inner;
        Span<int> counter = stackalloc int[r];
        int sBase = srcOffset, dBase = 0;
        var srcSpan = src.AsSpan();
        for (int o = 0; o < outer; o++)
        {
            if (sInner == 1 && dInner == 1)
            {
                srcSpan.Slice(sBase, inner).CopyTo(dst.Slice(dBase, inner));
            }
            else
            {
                for (int i = 0, si = sBase, di = dBase; i < inner; i++, si += sInner, di += dInner) dst[di] = srcSpan[si];
            }
            for (int d = r - 2; d >= 0; d--)
            {
                counter[d]++;
                sBase += cSrc[d];
                dBase += cDst[d];
                if (counter[d] < cShape[d]) break;
                sBase -= cSrc[d] * cShape[d];
                dBase -= cDst[d] * cShape[d];
                counter[d] = 0;
            }
        }
    }

    /// <summary>Merges adjacent dimensions that are contiguous in both layouts and drops size-1 dimensions, so loops run longer.</summary>
    internal static void Coalesce(int[] shape, int[] a, int[] b, out int[] cShape, out int[] cA, out int[] cB)
    {
        var s = new List<int>(shape.Length);
        var sa = new List<int>(shape.Length);
        var sb = new List<int>(shape.Length);
        for (int d = 0; d < shape.Length; d++)
        {
            if (shape[d] == 1) continue;
            int last = s.Count - 1;
            if (last >= 0 && sa[last] == a[d] * shape[d] && sb[last] == b[d] * shape[d])
            {
                s[last] *= shape[d];
                sa[last] = a[d];
                sb[last] = b[d];
            }
            else
            {
                s.Add(shape[d]);
                sa.Add(a[d]);
                sb.Add(b[d]);
            }
        }
        if (s.Count == 0)
        {
            s.Add(1);
            sa.Add(1);
            sb.Add(1);
        }
        cShape = s.ToArray();
        cA = sa.ToArray();
        cB = sb.ToArray();
    }

    /// <summary>Coalesce for three layouts sharing one shape (an output and two broadcast inputs).</summary>
    internal static void Coalesce3(int[] shape, int[] a, int[] b, out int[] cShape, out int[] cA, out int[] cB)
    {
        var outStrides = ShapeUtil.ContiguousStrides(shape);
        var s = new List<int>(shape.Length);
        var so = new List<int>(shape.Length);
        var sa = new List<int>(shape.Length);
        var sb = new List<int>(shape.Length);
        for (int d = 0; d < shape.Length; d++)
        {
            if (shape[d] == 1) continue;
            int last = s.Count - 1;
            if (last >= 0 && so[last] == outStrides[d] * shape[d] && sa[last] == a[d] * shape[d] && sb[last] == b[d] * shape[d])
            {
                s[last] *= shape[d];
                so[last] = outStrides[d];
                sa[last] = a[d];
                sb[last] = b[d];
            }
            else
            {
                s.Add(shape[d]);
                so.Add(outStrides[d]);
                sa.Add(a[d]);
                sb.Add(b[d]);
            }
        }
        if (s.Count == 0)
        {
            s.Add(1);
            sa.Add(1);
            sb.Add(1);
        }
        cShape = s.ToArray();
        cA = sa.ToArray();
        cB = sb.ToArray();
    }
}
