using Sapling.Backends.Cpu.Simd;

namespace Sapling.Backends.Cpu;

/// <summary>
/// C = alpha·op(A)·op(B) + beta·C when op(A) has only a few rows (decoding one token, a small batch). Packing B into
/// panels, as the blocked kernel does, costs as much as the product itself here; instead each row of C is made
/// straight from B as stored: rows of B scaled and added (B not transposed) or dot products with rows of B (B
/// transposed, as in a tied output head). The columns of C are split across the workers.
/// </summary>
internal static unsafe class SkinnyGemm
{
    /// <summary>Products with at most this many rows in op(A) take this path.</summary>
    public const int MaxRows = 4;

    // Below this many multiply-adds one core finishes before a second could start.
    private const long ParallelThresholdMacs = 1L << 15;

    private const int MaxStackRowFloats = 4096;

    /// <param name="kernel">The register width to use: the blocked kernel's choice on this machine (or a test's).</param>
    public static void Sgemm(ManagedGemm.KernelKind kernel, bool transA, bool transB, int m, int n, int k, float alpha, float* a, int lda, float* b, int ldb, float beta, float* c, int ldc)
    {
        var args = new ManagedGemm.GemmArgs(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        int parts = CpuWorkers.Threads > 1 && !CpuWorkers.IsInsideDispatch && (long)m * n * k >= ParallelThresholdMacs
            ? Math.Min(CpuWorkers.Threads, Math.Max(1, n / 64))
            : 1;
        if (parts <= 1)
        {
            Columns(kernel, args, 0, n);
            return;
        }
        var job = Job.ForCurrentThread();
        job.Prepare(kernel, args, parts);
        try
        {
            CpuWorkers.Run(parts, job);
        }
        finally
        {
            job.Release();
        }
    }

    private static void Columns(ManagedGemm.KernelKind kernel, in ManagedGemm.GemmArgs args, int j0, int j1)
    {
        switch (kernel)
        {
            case ManagedGemm.KernelKind.Avx512: Columns<Float512>(args, j0, j1); break;
            case ManagedGemm.KernelKind.Avx2: Columns<Float256>(args, j0, j1); break;
            default: ColumnsScalar(args, j0, j1); break;
        }
    }

    private static void Columns<TVec>(in ManagedGemm.GemmArgs args, int j0, int j1) where TVec : struct, IFloatVector<TVec>
    {
        int k = args.K;
        // Rows of op(A) are read contiguously; only a transposed A needs a buffer to gather each row into.
        float[]? rented = null;
        Span<float> row = !args.TransA ? default
            : k <= MaxStackRowFloats ? stackalloc float[k]
            : (rented = System.Buffers.ArrayPool<float>.Shared.Rent(k)).AsSpan(0, k);
        try
        {
            int i = 0;
            if (!args.TransA)
            {
                // Four rows at a time share every load of B.
                for (; i + 4 <= args.M; i += 4)
                {
                    float* a0 = args.A + (long)i * args.Lda;
                    float* c0 = args.C + (long)i * args.Ldc + j0;
                    if (args.TransB) DotRows4<TVec>(a0, args.Lda, k, args.B, args.Ldb, j0, j1 - j0, c0, args.Ldc, args.Alpha, args.Beta);
                    else ScaledRowSum4<TVec>(a0, args.Lda, k, args.B, args.Ldb, j0, j1 - j0, c0, args.Ldc, args.Alpha, args.Beta);
                }
            }
            for (; i < args.M; i++)
            {
                scoped ReadOnlySpan<float> ai;
                if (args.TransA)
                {
                    for (int p = 0; p < k; p++) row[p] = args.A[(long)p * args.Lda + i];
                    ai = row;
                }
                else
                {
                    ai = new ReadOnlySpan<float>(args.A + (long)i * args.Lda, k);
                }
                var ci = new Span<float>(args.C + (long)i * args.Ldc + j0, j1 - j0);
                if (args.TransB) DotRows<TVec>(ai, args.B, args.Ldb, j0, ci, args.Alpha, args.Beta);
                else ScaledRowSum<TVec>(ai, args.B, args.Ldb, j0, ci, args.Alpha, args.Beta);
            }
        }
        finally
        {
            if (rented != null) System.Buffers.ArrayPool<float>.Shared.Return(rented);
        }
    }

    /// <summary>c[j] = alpha·Σₚ a[p]·B[p, j0 + j] + beta·c[j], four registers of columns at a time.</summary>
    private static void ScaledRowSum<TVec>(ReadOnlySpan<float> a, float* b, int ldb, int j0, Span<float> c, float alpha, float beta)
        where TVec : struct, IFloatVector<TVec>
    {
        int w = TVec.Count, n = c.Length, k = a.Length;
        int j = 0;
        for (; j + 4 * w <= n; j += 4 * w)
        {
            TVec s0 = TVec.Zero, s1 = TVec.Zero, s2 = TVec.Zero, s3 = TVec.Zero;
            float* col = b + j0 + j;
            for (int p = 0; p < k; p++)
            {
                var ap = TVec.Create(a[p]);
                var bp = new ReadOnlySpan<float>(col + (long)p * ldb, 4 * w);
                s0 = TVec.FusedMultiplyAdd(ap, TVec.Load(bp), s0);
                s1 = TVec.FusedMultiplyAdd(ap, TVec.Load(bp.Slice(w)), s1);
                s2 = TVec.FusedMultiplyAdd(ap, TVec.Load(bp.Slice(2 * w)), s2);
                s3 = TVec.FusedMultiplyAdd(ap, TVec.Load(bp.Slice(3 * w)), s3);
            }
            Finish(s0, c.Slice(j, w), alpha, beta);
            Finish(s1, c.Slice(j + w, w), alpha, beta);
            Finish(s2, c.Slice(j + 2 * w, w), alpha, beta);
            Finish(s3, c.Slice(j + 3 * w, w), alpha, beta);
        }
        for (; j + w <= n; j += w)
        {
            TVec s = TVec.Zero;
            float* col = b + j0 + j;
            for (int p = 0; p < k; p++) s = TVec.FusedMultiplyAdd(TVec.Create(a[p]), TVec.Load(new ReadOnlySpan<float>(col + (long)p * ldb, w)), s);
            Finish(s, c.Slice(j, w), alpha, beta);
        }
        for (; j < n; j++)
        {
            float s = 0f;
            float* col = b + j0 + j;
            for (int p = 0; p < k; p++) s = MathF.FusedMultiplyAdd(a[p], col[(long)p * ldb], s);
            c[j] = beta == 0f ? alpha * s : alpha * s + beta * c[j];
        }
    }

    /// <summary>c[j] = alpha·(a · B[j0 + j, :]) + beta·c[j], four rows of B at a time.</summary>
    private static void DotRows<TVec>(ReadOnlySpan<float> a, float* b, int ldb, int j0, Span<float> c, float alpha, float beta)
        where TVec : struct, IFloatVector<TVec>
    {
        int w = TVec.Count, n = c.Length, k = a.Length;
        int kv = k - k % w;
        int j = 0;
        for (; j + 4 <= n; j += 4)
        {
            float* r0 = b + (long)(j0 + j) * ldb;
            float* r1 = r0 + ldb, r2 = r1 + ldb, r3 = r2 + ldb;
            TVec s0 = TVec.Zero, s1 = TVec.Zero, s2 = TVec.Zero, s3 = TVec.Zero;
            for (int p = 0; p < kv; p += w)
            {
                var ap = TVec.Load(a.Slice(p));
                s0 = TVec.FusedMultiplyAdd(ap, TVec.Load(new ReadOnlySpan<float>(r0 + p, w)), s0);
                s1 = TVec.FusedMultiplyAdd(ap, TVec.Load(new ReadOnlySpan<float>(r1 + p, w)), s1);
                s2 = TVec.FusedMultiplyAdd(ap, TVec.Load(new ReadOnlySpan<float>(r2 + p, w)), s2);
                s3 = TVec.FusedMultiplyAdd(ap, TVec.Load(new ReadOnlySpan<float>(r3 + p, w)), s3);
            }
            float d0 = TVec.Sum(s0), d1 = TVec.Sum(s1), d2 = TVec.Sum(s2), d3 = TVec.Sum(s3);
            for (int p = kv; p < k; p++)
            {
                d0 = MathF.FusedMultiplyAdd(a[p], r0[p], d0);
                d1 = MathF.FusedMultiplyAdd(a[p], r1[p], d1);
                d2 = MathF.FusedMultiplyAdd(a[p], r2[p], d2);
                d3 = MathF.FusedMultiplyAdd(a[p], r3[p], d3);
            }
            Store(c, j, d0, alpha, beta);
            Store(c, j + 1, d1, alpha, beta);
            Store(c, j + 2, d2, alpha, beta);
            Store(c, j + 3, d3, alpha, beta);
        }
        for (; j < n; j++)
        {
            float* r = b + (long)(j0 + j) * ldb;
            TVec s = TVec.Zero;
            for (int p = 0; p < kv; p += w) s = TVec.FusedMultiplyAdd(TVec.Load(a.Slice(p)), TVec.Load(new ReadOnlySpan<float>(r + p, w)), s);
            float d = TVec.Sum(s);
            for (int p = kv; p < k; p++) d = MathF.FusedMultiplyAdd(a[p], r[p], d);
            Store(c, j, d, alpha, beta);
        }
    }

    /// <summary>Four rows of C from four rows of A: each register of B feeds four accumulators.</summary>
    private static void ScaledRowSum4<TVec>(float* a, int lda, int k, float* b, int ldb, int j0, int n, float* c, int ldc, float alpha, float beta)
        where TVec : struct, IFloatVector<TVec>
    {
        int w = TVec.Count;
        float* a1 = a + lda, a2 = a1 + lda, a3 = a2 + lda;
        int j = 0;
        for (; j + 2 * w <= n; j += 2 * w)
        {
            TVec s00 = TVec.Zero, s01 = TVec.Zero, s10 = TVec.Zero, s11 = TVec.Zero;
            TVec s20 = TVec.Zero, s21 = TVec.Zero, s30 = TVec.Zero, s31 = TVec.Zero;
            float* col = b + j0 + j;
            for (int p = 0; p < k; p++)
            {
                var bp = new ReadOnlySpan<float>(col + (long)p * ldb, 2 * w);
                var b0 = TVec.Load(bp);
                var b1 = TVec.Load(bp.Slice(w));
                var x0 = TVec.Create(a[p]);
                var x1 = TVec.Create(a1[p]);
                var x2 = TVec.Create(a2[p]);
                var x3 = TVec.Create(a3[p]);
                s00 = TVec.FusedMultiplyAdd(x0, b0, s00);
                s01 = TVec.FusedMultiplyAdd(x0, b1, s01);
                s10 = TVec.FusedMultiplyAdd(x1, b0, s10);
                s11 = TVec.FusedMultiplyAdd(x1, b1, s11);
                s20 = TVec.FusedMultiplyAdd(x2, b0, s20);
                s21 = TVec.FusedMultiplyAdd(x2, b1, s21);
                s30 = TVec.FusedMultiplyAdd(x3, b0, s30);
                s31 = TVec.FusedMultiplyAdd(x3, b1, s31);
            }
            Finish(s00, new Span<float>(c + j, w), alpha, beta);
            Finish(s01, new Span<float>(c + j + w, w), alpha, beta);
            Finish(s10, new Span<float>(c + ldc + j, w), alpha, beta);
            Finish(s11, new Span<float>(c + ldc + j + w, w), alpha, beta);
            Finish(s20, new Span<float>(c + 2L * ldc + j, w), alpha, beta);
            Finish(s21, new Span<float>(c + 2L * ldc + j + w, w), alpha, beta);
            Finish(s30, new Span<float>(c + 3L * ldc + j, w), alpha, beta);
            Finish(s31, new Span<float>(c + 3L * ldc + j + w, w), alpha, beta);
        }
        if (j < n)
            for (int r = 0; r < 4; r++)
                ScaledRowSum<TVec>(new ReadOnlySpan<float>(a + (long)r * lda, k), b, ldb, j0 + j, new Span<float>(c + (long)r * ldc + j, n - j), alpha, beta);
    }

    /// <summary>Four rows of C as dot products of four rows of A with each row of B, two rows of B at a time.</summary>
    private static void DotRows4<TVec>(float* a, int lda, int k, float* b, int ldb, int j0, int n, float* c, int ldc, float alpha, float beta)
        where TVec : struct, IFloatVector<TVec>
    {
        int w = TVec.Count, kv = k - k % w;
        float* a1 = a + lda, a2 = a1 + lda, a3 = a2 + lda;
        int j = 0;
        for (; j + 2 <= n; j += 2)
        {
            float* r0 = b + (long)(j0 + j) * ldb;
            float* r1 = r0 + ldb;
            TVec s00 = TVec.Zero, s01 = TVec.Zero, s10 = TVec.Zero, s11 = TVec.Zero;
            TVec s20 = TVec.Zero, s21 = TVec.Zero, s30 = TVec.Zero, s31 = TVec.Zero;
            for (int p = 0; p < kv; p += w)
            {
                var b0 = TVec.Load(new ReadOnlySpan<float>(r0 + p, w));
                var b1 = TVec.Load(new ReadOnlySpan<float>(r1 + p, w));
                var x0 = TVec.Load(new ReadOnlySpan<float>(a + p, w));
                var x1 = TVec.Load(new ReadOnlySpan<float>(a1 + p, w));
                var x2 = TVec.Load(new ReadOnlySpan<float>(a2 + p, w));
                var x3 = TVec.Load(new ReadOnlySpan<float>(a3 + p, w));
                s00 = TVec.FusedMultiplyAdd(x0, b0, s00);
                s01 = TVec.FusedMultiplyAdd(x0, b1, s01);
                s10 = TVec.FusedMultiplyAdd(x1, b0, s10);
                s11 = TVec.FusedMultiplyAdd(x1, b1, s11);
                s20 = TVec.FusedMultiplyAdd(x2, b0, s20);
                s21 = TVec.FusedMultiplyAdd(x2, b1, s21);
                s30 = TVec.FusedMultiplyAdd(x3, b0, s30);
                s31 = TVec.FusedMultiplyAdd(x3, b1, s31);
            }
            float d00 = TVec.Sum(s00), d01 = TVec.Sum(s01), d10 = TVec.Sum(s10), d11 = TVec.Sum(s11);
            float d20 = TVec.Sum(s20), d21 = TVec.Sum(s21), d30 = TVec.Sum(s30), d31 = TVec.Sum(s31);
            for (int p = kv; p < k; p++)
            {
                d00 = MathF.FusedMultiplyAdd(a[p], r0[p], d00);
                d01 = MathF.FusedMultiplyAdd(a[p], r1[p], d01);
                d10 = MathF.FusedMultiplyAdd(a1[p], r0[p], d10);
                d11 = MathF.FusedMultiplyAdd(a1[p], r1[p], d11);
                d20 = MathF.FusedMultiplyAdd(a2[p], r0[p], d20);
                d21 = MathF.FusedMultiplyAdd(a2[p], r1[p], d21);
                d30 = MathF.FusedMultiplyAdd(a3[p], r0[p], d30);
                d31 = MathF.FusedMultiplyAdd(a3[p], r1[p], d31);
            }
            var c0 = new Span<float>(c, n);
            var c1 = new Span<float>(c + ldc, n);
            var c2 = new Span<float>(c + 2L * ldc, n);
            var c3 = new Span<float>(c + 3L * ldc, n);
            Store(c0, j, d00, alpha, beta);
            Store(c0, j + 1, d01, alpha, beta);
            Store(c1, j, d10, alpha, beta);
            Store(c1, j + 1, d11, alpha, beta);
            Store(c2, j, d20, alpha, beta);
            Store(c2, j + 1, d21, alpha, beta);
            Store(c3, j, d30, alpha, beta);
            Store(c3, j + 1, d31, alpha, beta);
        }
        if (j < n)
            for (int r = 0; r < 4; r++)
                DotRows<TVec>(new ReadOnlySpan<float>(a + (long)r * lda, k), b, ldb, j0 + j, new Span<float>(c + (long)r * ldc + j, n - j), alpha, beta);
    }

    private static void ColumnsScalar(in ManagedGemm.GemmArgs args, int j0, int j1)
    {
        for (int i = 0; i < args.M; i++)
            for (int j = j0; j < j1; j++)
            {
                float s = 0f;
                for (int p = 0; p < args.K; p++)
                {
                    float aip = args.TransA ? args.A[(long)p * args.Lda + i] : args.A[(long)i * args.Lda + p];
                    float bpj = args.TransB ? args.B[(long)j * args.Ldb + p] : args.B[(long)p * args.Ldb + j];
                    s = MathF.FusedMultiplyAdd(aip, bpj, s);
                }
                float* cij = args.C + (long)i * args.Ldc + j;
                *cij = args.Beta == 0f ? args.Alpha * s : args.Alpha * s + args.Beta * *cij;
            }
    }

    // As in BLAS, beta = 0 means C is not read, so whatever it held (even NaN) does not leak through.
    private static void Finish<TVec>(TVec sum, Span<float> c, float alpha, float beta) where TVec : struct, IFloatVector<TVec>
    {
        var scaled = sum * TVec.Create(alpha);
        TVec.Store(beta == 0f ? scaled : TVec.FusedMultiplyAdd(TVec.Load(c), TVec.Create(beta), scaled), c);
    }

    private static void Store(Span<float> c, int j, float sum, float alpha, float beta) => c[j] = beta == 0f ? alpha * sum : alpha * sum + beta * c[j];

    /// <summary>One cached job per calling thread, so a parallel product allocates nothing.</summary>
    private sealed class Job : IParallelWork
    {
        [ThreadStatic] private static Job? t_cached;
        private ManagedGemm.GemmArgs args;
        private ManagedGemm.KernelKind kernel;
        private int parts;

        public static Job ForCurrentThread() => t_cached ??= new Job();

        public void Prepare(ManagedGemm.KernelKind kind, in ManagedGemm.GemmArgs value, int count)
        {
            kernel = kind;
            args = value;
            parts = count;
        }

        public void Release() => args = default;

        /// <summary>Equal column ranges, multiples of 64 so every part but the last runs whole register blocks.</summary>
        public void Run(int part)
        {
            int chunk = (args.N + parts - 1) / parts;
            chunk = (chunk + 63) / 64 * 64;
            int start = Math.Min(args.N, part * chunk), end = Math.Min(args.N, start + chunk);
            if (start < end) Columns(kernel, args, start, end);
        }
    }
}
