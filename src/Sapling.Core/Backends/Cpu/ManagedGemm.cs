using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Sapling.Backends.Cpu;

/// <summary>
/// Portable single-precision GEMM with the semantics of row-major <c>cblas_sgemm</c>.
/// </summary>
/// <remarks>
/// Goto/BLIS structure: op(B) is packed into NR-wide column strips and op(A) into MC-row blocks,
/// so the register-tile kernel streams both operands linearly whatever their transposition
/// (transposes happen while packing, never as a separate pass). Large products are split across
/// <see cref="CpuWorkers"/>; each thread packs into its own reusable buffers.
/// </remarks>
public static unsafe partial class ManagedGemm
{
    // Below ~64³ multiply-adds, waking a worker costs more than the second core gains.
    private const long ParallelThresholdMacs = 1L << 18;

    // Kernels consume K four steps at a time; packing zero-pads each K block to this multiple.
    private const int KUnroll = 4;

    internal enum KernelKind
    {
        Auto,
        Avx512,
        Avx2,
        Scalar,
    }

    /// <summary>Pins the micro-kernel (tests use it to cover paths this machine would not pick).</summary>
    internal static KernelKind ForcedKernel { get; set; }

    /// <summary>The micro-kernel that <see cref="Gemm.Sgemm"/> uses on this machine.</summary>
    internal static KernelKind SelectedKernel => ForcedKernel != KernelKind.Auto ? ForcedKernel : DetectKernel();

    /// <summary>
    /// C[m×n] = alpha·op(A)·op(B) + beta·C, row-major, exactly like
    /// <c>cblas_sgemm(CblasRowMajor, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)</c>.
    /// </summary>
    /// <remarks>When beta is 0, C is overwritten without being read (it may hold NaN).</remarks>
    public static void Sgemm(
        bool transA, bool transB, int m, int n, int k,
        float alpha, float* a, int lda, float* b, int ldb,
        float beta, float* c, int ldc)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(m);
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        if (m == 0 || n == 0)
            return;

        ArgumentOutOfRangeException.ThrowIfLessThan(ldc, n);
        if (k == 0 || alpha == 0f)
        {
            ScaleC(m, n, beta, c, ldc);
            return;
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(lda, transA ? m : k);
        ArgumentOutOfRangeException.ThrowIfLessThan(ldb, transB ? k : n);

        var kernel = SelectedKernel;
        if (m <= SkinnyGemm.MaxRows)
        {
            SkinnyGemm.Sgemm(kernel, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
            return;
        }
        var args = new GemmArgs(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        switch (kernel)
        {
            case KernelKind.Avx512:
                Gemm<Avx512Kernel>(args);
                break;
            case KernelKind.Avx2:
                Gemm<Avx2Kernel>(args);
                break;
            default:
                Gemm<ScalarKernel>(args);
                break;
        }
    }

    private static KernelKind DetectKernel()
    {
        if (Vector512.IsHardwareAccelerated && Avx512F.IsSupported)
            return KernelKind.Avx512;
        if (Vector256.IsHardwareAccelerated && Fma.IsSupported)
            return KernelKind.Avx2;
        return KernelKind.Scalar;
    }

    private static void Gemm<TKernel>(in GemmArgs args) where TKernel : struct, IGemmKernel
    {
        int parts = PlanParallelism<TKernel>(args, out bool splitRows);
        if (parts <= 1)
        {
            GemmRange<TKernel>(args, 0, args.M, 0, args.N);
            return;
        }

        GemmJob<TKernel> job = GemmJob<TKernel>.ForCurrentThread();
        job.Prepare(args, parts, splitRows);
        try
        {
            CpuWorkers.Run(parts, job);
        }
        finally
        {
            job.Release();
        }
    }

    /// <summary>One part per thread, split along the longer of M and N (unless it has fewer
    /// tiles than threads), so the operand every thread packs in full is the smaller one: all of
    /// B when splitting rows, all of A when splitting columns.</summary>
    /// <remarks>Static halves measured faster here than finer dynamic parts over a shared packed
    /// B: the extra dispatches and cross-core traffic cost more than the balancing gained.</remarks>
    private static int PlanParallelism<TKernel>(in GemmArgs args, out bool splitRows) where TKernel : struct, IGemmKernel
    {
        splitRows = true;
        int threads = CpuWorkers.Threads;
        if (threads <= 1 || CpuWorkers.IsInsideDispatch || (long)args.M * args.N * args.K < ParallelThresholdMacs)
            return 1;

        int rowTiles = CeilDiv(args.M, TKernel.MR);
        int colStrips = CeilDiv(args.N, TKernel.NR);
        bool rowsAreLonger = (long)rowTiles * TKernel.MR >= (long)colStrips * TKernel.NR;
        splitRows = rowsAreLonger ? rowTiles >= threads : colStrips < threads;
        return Math.Min(threads, splitRows ? rowTiles : colStrips);
    }

    /// <summary>Computes the C[rowStart..rowEnd, colStart..colEnd] block on the calling thread.</summary>
    private static void GemmRange<TKernel>(in GemmArgs args, int rowStart, int rowEnd, int colStart, int colEnd)
        where TKernel : struct, IGemmKernel
    {
        int rows = rowEnd - rowStart;
        int cols = colEnd - colStart;
        int kcStep = BalancedStep(args.K, TKernel.KC, 1);
        int mcStep = BalancedStep(rows, TKernel.MC, TKernel.MR);
        int ncStep = BalancedStep(cols, TKernel.NC, TKernel.NR);

        PackBuffers buffers = PackBuffers.ForCurrentThread();
        float* packedA = buffers.EnsureA(RoundUp(mcStep, TKernel.MR) * TKernel.AStride);
        float* packedB = buffers.EnsureB(RoundUp(kcStep, KUnroll) * RoundUp(ncStep, TKernel.NR));

        for (int jc = colStart; jc < colEnd; jc += ncStep)
        {
            int nc = Math.Min(ncStep, colEnd - jc);
            for (int pc = 0; pc < args.K; pc += kcStep)
            {
                int kc = Math.Min(kcStep, args.K - pc);
                int paddedKc = RoundUp(kc, KUnroll);
                PackB<TKernel>(args, pc, kc, paddedKc, jc, nc, packedB);

                // Only the first K block applies the caller's beta; later ones accumulate.
                float beta = pc == 0 ? args.Beta : 1f;
                for (int ic = rowStart; ic < rowEnd; ic += mcStep)
                {
                    int mc = Math.Min(mcStep, rowEnd - ic);
                    PackA<TKernel>(args, ic, mc, pc, kc, paddedKc, packedA);
                    MacroKernel<TKernel>(packedA, packedB, mc, nc, paddedKc, args.C + (long)ic * args.Ldc + jc, args.Ldc, args.Alpha, beta);
                }
            }
        }
    }

    [SkipLocalsInit]
    private static void MacroKernel<TKernel>(float* packedA, float* packedB, int mc, int nc, int kc, float* c, int ldc, float alpha, float beta)
        where TKernel : struct, IGemmKernel
    {
        float* edgeTile = stackalloc float[TKernel.MR * TKernel.NR];
        for (int jr = 0; jr < nc; jr += TKernel.NR)
        {
            int nr = Math.Min(TKernel.NR, nc - jr);
            float* bStrip = packedB + (long)jr * kc;
            for (int ir = 0; ir < mc; ir += TKernel.MR)
            {
                int mr = Math.Min(TKernel.MR, mc - ir);
                float* aPanel = packedA + (long)ir * TKernel.AStride;
                float* cTile = c + (long)ir * ldc + jr;
                if (mr == TKernel.MR && nr == TKernel.NR)
                {
                    TKernel.Run(aPanel, bStrip, kc, cTile, ldc, alpha, beta);
                }
                else
                {
                    // Edge tiles are computed in full from zero-padded panels, then only the
                    // valid part is merged, so the kernel never needs masked loads or stores.
                    TKernel.Run(aPanel, bStrip, kc, edgeTile, TKernel.NR, 1f, 0f);
                    MergeTile(edgeTile, TKernel.NR, cTile, ldc, mr, nr, alpha, beta);
                }
            }
        }
    }

    /// <summary>Packs op(A)[ic..ic+mc, pc..pc+kc] row by row with the kernel's constant row
    /// stride, zero-padded to paddedKc columns and a whole number of MR-row panels.</summary>
    /// <remarks>A constant stride lets the kernel address all MR rows from one pointer with
    /// immediate offsets; the padding past KC keeps those rows out of the same cache sets.</remarks>
    private static void PackA<TKernel>(in GemmArgs args, int ic, int mc, int pc, int kc, int paddedKc, float* dst)
        where TKernel : struct, IGemmKernel
    {
        if (args.TransA)
            TransposeBlock(args.A + (long)pc * args.Lda + ic, args.Lda, kc, mc, dst, TKernel.AStride);
        else
            CopyBlock(args.A + (long)ic * args.Lda + pc, args.Lda, mc, kc, dst, TKernel.AStride);

        ZeroBlock(dst + kc, TKernel.AStride, mc, paddedKc - kc);
        ZeroBlock(dst + (long)mc * TKernel.AStride, TKernel.AStride, RoundUp(mc, TKernel.MR) - mc, paddedKc);
    }

    /// <summary>Packs op(B)[pc..pc+kc, jc..jc+nc] into NR-wide strips of paddedKc contiguous
    /// rows, zero-padding the extra rows and the last strip's missing columns.</summary>
    private static void PackB<TKernel>(in GemmArgs args, int pc, int kc, int paddedKc, int jc, int nc, float* dst)
        where TKernel : struct, IGemmKernel
    {
        for (int jr = 0; jr < nc; jr += TKernel.NR)
        {
            int nr = Math.Min(TKernel.NR, nc - jr);
            float* strip = dst + (long)jr * paddedKc;
            if (args.TransB)
                TransposeBlock(args.B + (long)(jc + jr) * args.Ldb + pc, args.Ldb, nr, kc, strip, TKernel.NR);
            else
                CopyBlock(args.B + (long)pc * args.Ldb + jc + jr, args.Ldb, kc, nr, strip, TKernel.NR);

            ZeroBlock(strip + nr, TKernel.NR, kc, TKernel.NR - nr);
            ZeroBlock(strip + (long)kc * TKernel.NR, TKernel.NR, paddedKc - kc, TKernel.NR);
        }
    }

    private static void ZeroBlock(float* dst, int stride, int rows, int cols)
    {
        if (cols <= 0)
            return;

        for (int r = 0; r < rows; r++)
            new Span<float>(dst + (long)r * stride, cols).Clear();
    }

    /// <summary>dst[r, c] = src[r, c] for a rows×cols block.</summary>
    private static void CopyBlock(float* src, int srcStride, int rows, int cols, float* dst, int dstStride)
    {
        for (int r = 0; r < rows; r++)
            CopyRow(src + (long)r * srcStride, dst + (long)r * dstStride, cols);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CopyRow(float* src, float* dst, int count)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i <= count - Vector256<float>.Count; i += Vector256<float>.Count)
                Vector256.Store(Vector256.Load(src + i), dst + i);
        }
        else if (Vector128.IsHardwareAccelerated)
        {
            for (; i <= count - Vector128<float>.Count; i += Vector128<float>.Count)
                Vector128.Store(Vector128.Load(src + i), dst + i);
        }

        for (; i < count; i++)
            dst[i] = src[i];
    }

    /// <summary>dst[c, r] = src[r, c] for a rows×cols source block.</summary>
    private static void TransposeBlock(float* src, int srcStride, int rows, int cols, float* dst, int dstStride)
    {
        int r = 0;
        if (Avx.IsSupported)
        {
            for (; r <= rows - 8; r += 8)
            {
                float* srcRows = src + (long)r * srcStride;
                int c = 0;
                for (; c <= cols - 8; c += 8)
                    Transpose8x8(srcRows + c, srcStride, dst + (long)c * dstStride + r, dstStride);
                TransposeScalar(srcRows + c, srcStride, 8, cols - c, dst + (long)c * dstStride + r, dstStride);
            }
        }

        TransposeScalar(src + (long)r * srcStride, srcStride, rows - r, cols, dst + r, dstStride);
    }

    private static void TransposeScalar(float* src, int srcStride, int rows, int cols, float* dst, int dstStride)
    {
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < cols; c++)
                dst[(long)c * dstStride + r] = src[(long)r * srcStride + c];
        }
    }

    /// <summary>dst[c, r] = src[r, c] for an 8×8 block (AVX).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Transpose8x8(float* src, int srcStride, float* dst, int dstStride)
    {
        Vector256<float> r0 = Avx.LoadVector256(src);
        Vector256<float> r1 = Avx.LoadVector256(src + srcStride);
        Vector256<float> r2 = Avx.LoadVector256(src + 2L * srcStride);
        Vector256<float> r3 = Avx.LoadVector256(src + 3L * srcStride);
        Vector256<float> r4 = Avx.LoadVector256(src + 4L * srcStride);
        Vector256<float> r5 = Avx.LoadVector256(src + 5L * srcStride);
        Vector256<float> r6 = Avx.LoadVector256(src + 6L * srcStride);
        Vector256<float> r7 = Avx.LoadVector256(src + 7L * srcStride);

        // Interleave pairs of rows, then pairs of pairs, then swap 128-bit halves: the classic
        // 24-shuffle 8×8 transpose.
        Vector256<float> t0 = Avx.UnpackLow(r0, r1), t1 = Avx.UnpackHigh(r0, r1);
        Vector256<float> t2 = Avx.UnpackLow(r2, r3), t3 = Avx.UnpackHigh(r2, r3);
        Vector256<float> t4 = Avx.UnpackLow(r4, r5), t5 = Avx.UnpackHigh(r4, r5);
        Vector256<float> t6 = Avx.UnpackLow(r6, r7), t7 = Avx.UnpackHigh(r6, r7);

        Vector256<float> u0 = Avx.Shuffle(t0, t2, 0x44), u1 = Avx.Shuffle(t0, t2, 0xEE);
        Vector256<float> u2 = Avx.Shuffle(t1, t3, 0x44), u3 = Avx.Shuffle(t1, t3, 0xEE);
        Vector256<float> u4 = Avx.Shuffle(t4, t6, 0x44), u5 = Avx.Shuffle(t4, t6, 0xEE);
        Vector256<float> u6 = Avx.Shuffle(t5, t7, 0x44), u7 = Avx.Shuffle(t5, t7, 0xEE);

        Avx.Store(dst, Avx.Permute2x128(u0, u4, 0x20));
        Avx.Store(dst + dstStride, Avx.Permute2x128(u1, u5, 0x20));
        Avx.Store(dst + 2L * dstStride, Avx.Permute2x128(u2, u6, 0x20));
        Avx.Store(dst + 3L * dstStride, Avx.Permute2x128(u3, u7, 0x20));
        Avx.Store(dst + 4L * dstStride, Avx.Permute2x128(u0, u4, 0x31));
        Avx.Store(dst + 5L * dstStride, Avx.Permute2x128(u1, u5, 0x31));
        Avx.Store(dst + 6L * dstStride, Avx.Permute2x128(u2, u6, 0x31));
        Avx.Store(dst + 7L * dstStride, Avx.Permute2x128(u3, u7, 0x31));
    }

    private static void MergeTile(float* tile, int tileStride, float* c, int ldc, int rows, int cols, float alpha, float beta)
    {
        for (int r = 0; r < rows; r++)
        {
            float* t = tile + (long)r * tileStride;
            float* cRow = c + (long)r * ldc;
            for (int j = 0; j < cols; j++)
                cRow[j] = beta == 0f ? alpha * t[j] : alpha * t[j] + beta * cRow[j];
        }
    }

    /// <summary>C = beta·C, the whole product when k == 0 or alpha == 0.</summary>
    private static void ScaleC(int m, int n, float beta, float* c, int ldc)
    {
        if (beta == 1f)
            return;

        for (int i = 0; i < m; i++)
        {
            var row = new Span<float>(c + (long)i * ldc, n);
            if (beta == 0f)
                row.Clear();
            else
            {
                for (int j = 0; j < row.Length; j++)
                    row[j] *= beta;
            }
        }
    }

    /// <summary>Splits <paramref name="total"/> into equal chunks of at most about
    /// <paramref name="max"/>, rounded up to <paramref name="multiple"/>, so the last block is
    /// not a sliver (a 600-deep K becomes 2×300 rather than 512+88).</summary>
    private static int BalancedStep(int total, int max, int multiple)
    {
        int blocks = CeilDiv(total, max);
        return Math.Min(max, RoundUp(CeilDiv(total, blocks), multiple));
    }

    private static int CeilDiv(int value, int divisor) => (value + divisor - 1) / divisor;

    private static int RoundUp(int value, int multiple) => CeilDiv(value, multiple) * multiple;

    internal readonly struct GemmArgs(
        bool transA, bool transB, int m, int n, int k,
        float alpha, float* a, int lda, float* b, int ldb,
        float beta, float* c, int ldc)
    {
        public readonly bool TransA = transA;
        public readonly bool TransB = transB;
        public readonly int M = m;
        public readonly int N = n;
        public readonly int K = k;
        public readonly float Alpha = alpha;
        public readonly float* A = a;
        public readonly int Lda = lda;
        public readonly float* B = b;
        public readonly int Ldb = ldb;
        public readonly float Beta = beta;
        public readonly float* C = c;
        public readonly int Ldc = ldc;
    }

    /// <summary>One cached job per (kernel, calling thread), so a parallel GEMM allocates nothing.</summary>
    private sealed class GemmJob<TKernel> : IParallelWork where TKernel : struct, IGemmKernel
    {
        [ThreadStatic] private static GemmJob<TKernel>? t_cached;

        private GemmArgs _args;
        private int _parts;
        private bool _splitRows;

        public static GemmJob<TKernel> ForCurrentThread() => t_cached ??= new GemmJob<TKernel>();

        public void Prepare(in GemmArgs args, int parts, bool splitRows)
        {
            _args = args;
            _parts = parts;
            _splitRows = splitRows;
        }

        public void Release() => _args = default;

        public void Run(int part)
        {
            if (_splitRows)
            {
                (int start, int end) = PartRange(_args.M, TKernel.MR, part);
                GemmRange<TKernel>(_args, start, end, 0, _args.N);
            }
            else
            {
                (int start, int end) = PartRange(_args.N, TKernel.NR, part);
                GemmRange<TKernel>(_args, 0, _args.M, start, end);
            }
        }

        /// <summary>Whole tiles per part, so only the last part can contain an edge tile.</summary>
        private (int Start, int End) PartRange(int length, int tile, int part)
        {
            int tiles = CeilDiv(length, tile);
            int first = (int)((long)tiles * part / _parts);
            int last = (int)((long)tiles * (part + 1) / _parts);
            return (first * tile, Math.Min(last * tile, length));
        }
    }

    /// <summary>Per-thread packing buffers that only grow; native memory so they are 64-byte
    /// aligned and never moved. The finalizer returns them when the owning thread dies. The
    /// convolution kernels (<see cref="DirectConv"/> too) keep their scratch here.</summary>
    internal sealed class PackBuffers
    {
        [ThreadStatic] private static PackBuffers? t_current;

        private float* _a;
        private nuint _aLength;
        private float* _b;
        private nuint _bLength;
        private float* _w;
        private nuint _wLength;
        private float* _images;
        private nuint _imagesLength;
        private float* _taps;
        private nuint _tapsLength;

        ~PackBuffers()
        {
            NativeMemory.AlignedFree(_a);
            NativeMemory.AlignedFree(_b);
            NativeMemory.AlignedFree(_w);
            NativeMemory.AlignedFree(_images);
            NativeMemory.AlignedFree(_taps);
        }

        public static PackBuffers ForCurrentThread() => t_current ??= new PackBuffers();

        public float* EnsureA(int floats) => Ensure(ref _a, ref _aLength, floats);

        public float* EnsureB(int floats) => Ensure(ref _b, ref _bLength, floats);

        /// <summary>A convolution's whole packed weight, read by every part of the call.</summary>
        public float* EnsureW(int floats) => Ensure(ref _w, ref _wLength, floats);

        /// <summary>A group of images copied with a zero border, for the direct convolution.</summary>
        public float* EnsureImages(int floats) => Ensure(ref _images, ref _imagesLength, floats);

        /// <summary>A convolution's tap offsets (int32, in float-sized slots).</summary>
        public int* EnsureTaps(int count) => (int*)Ensure(ref _taps, ref _tapsLength, count);

        private static float* Ensure(ref float* buffer, ref nuint length, int floats)
        {
            if ((nuint)floats > length)
            {
                // Forget the old block first, so a failed allocation cannot leave a dangling pointer.
                NativeMemory.AlignedFree(buffer);
                buffer = null;
                length = 0;
                buffer = (float*)NativeMemory.AlignedAlloc((nuint)floats * sizeof(float), 64);
                length = (nuint)floats;
            }

            return buffer;
        }
    }

    /// <summary>A register-tile micro-kernel and the blocking that suits it.</summary>
    private interface IGemmKernel
    {
        /// <summary>Rows of C per tile.</summary>
        static abstract int MR { get; }

        /// <summary>Columns of C per tile (width of a packed B strip).</summary>
        static abstract int NR { get; }

        /// <summary>Depth of a packed block (B strip of KC×NR should stay cache-resident).</summary>
        static abstract int KC { get; }

        /// <summary>Rows of a packed A block (MC×KC should fit in L2).</summary>
        static abstract int MC { get; }

        /// <summary>Columns of a packed B panel.</summary>
        static abstract int NC { get; }

        /// <summary>Row stride of packed A: KC plus padding against cache-set aliasing.</summary>
        static abstract int AStride { get; }

        /// <summary>c[MR×NR] = alpha·(A panel · B strip) + beta·c, reading c only when beta ≠ 0.
        /// <paramref name="kc"/> is a positive multiple of 4 (packing zero-pads K).</summary>
        static abstract void Run(float* a, float* b, int kc, float* c, int ldc, float alpha, float beta);
    }

    /// <summary>6×64 tile: 24 zmm accumulators, 4 B vectors and a broadcast fill the 32 registers.</summary>
    private readonly struct Avx512Kernel : IGemmKernel
    {
        private const int Stride = 512 + 16;

        public static int MR => 6;
        public static int NR => 64;
        public static int KC => 512;
        public static int MC => 240;
        public static int NC => 4096;
        public static int AStride => Stride;

        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        public static void Run(float* a, float* b, int kc, float* c, int ldc, float alpha, float beta)
        {
            Vector512<float> c00 = default, c01 = default, c02 = default, c03 = default;
            Vector512<float> c10 = default, c11 = default, c12 = default, c13 = default;
            Vector512<float> c20 = default, c21 = default, c22 = default, c23 = default;
            Vector512<float> c30 = default, c31 = default, c32 = default, c33 = default;
            Vector512<float> c40 = default, c41 = default, c42 = default, c43 = default;
            Vector512<float> c50 = default, c51 = default, c52 = default, c53 = default;

            // Packing pads kc to a multiple of 4, so the loop is unrolled by four with no
            // remainder: loop overhead and pointer bumps are paid once per four k steps.
            Vector512<float> b0, b1, b2, b3, x;
            for (int p = 0; p < kc; p += 4, a += 4, b += 256)
            {
                b0 = Vector512.Load(b + 0);
                b1 = Vector512.Load(b + 16);
                b2 = Vector512.Load(b + 32);
                b3 = Vector512.Load(b + 48);
                x = Vector512.Create(a[0 * Stride + 0]);
                c00 = Vector512.FusedMultiplyAdd(x, b0, c00); c01 = Vector512.FusedMultiplyAdd(x, b1, c01);
                c02 = Vector512.FusedMultiplyAdd(x, b2, c02); c03 = Vector512.FusedMultiplyAdd(x, b3, c03);
                x = Vector512.Create(a[1 * Stride + 0]);
                c10 = Vector512.FusedMultiplyAdd(x, b0, c10); c11 = Vector512.FusedMultiplyAdd(x, b1, c11);
                c12 = Vector512.FusedMultiplyAdd(x, b2, c12); c13 = Vector512.FusedMultiplyAdd(x, b3, c13);
                x = Vector512.Create(a[2 * Stride + 0]);
                c20 = Vector512.FusedMultiplyAdd(x, b0, c20); c21 = Vector512.FusedMultiplyAdd(x, b1, c21);
                c22 = Vector512.FusedMultiplyAdd(x, b2, c22); c23 = Vector512.FusedMultiplyAdd(x, b3, c23);
                x = Vector512.Create(a[3 * Stride + 0]);
                c30 = Vector512.FusedMultiplyAdd(x, b0, c30); c31 = Vector512.FusedMultiplyAdd(x, b1, c31);
                c32 = Vector512.FusedMultiplyAdd(x, b2, c32); c33 = Vector512.FusedMultiplyAdd(x, b3, c33);
                x = Vector512.Create(a[4 * Stride + 0]);
                c40 = Vector512.FusedMultiplyAdd(x, b0, c40); c41 = Vector512.FusedMultiplyAdd(x, b1, c41);
                c42 = Vector512.FusedMultiplyAdd(x, b2, c42); c43 = Vector512.FusedMultiplyAdd(x, b3, c43);
                x = Vector512.Create(a[5 * Stride + 0]);
                c50 = Vector512.FusedMultiplyAdd(x, b0, c50); c51 = Vector512.FusedMultiplyAdd(x, b1, c51);
                c52 = Vector512.FusedMultiplyAdd(x, b2, c52); c53 = Vector512.FusedMultiplyAdd(x, b3, c53);

                b0 = Vector512.Load(b + 64);
                b1 = Vector512.Load(b + 80);
                b2 = Vector512.Load(b + 96);
                b3 = Vector512.Load(b + 112);
                x = Vector512.Create(a[0 * Stride + 1]);
                c00 = Vector512.FusedMultiplyAdd(x, b0, c00); c01 = Vector512.FusedMultiplyAdd(x, b1, c01);
                c02 = Vector512.FusedMultiplyAdd(x, b2, c02); c03 = Vector512.FusedMultiplyAdd(x, b3, c03);
                x = Vector512.Create(a[1 * Stride + 1]);
                c10 = Vector512.FusedMultiplyAdd(x, b0, c10); c11 = Vector512.FusedMultiplyAdd(x, b1, c11);
                c12 = Vector512.FusedMultiplyAdd(x, b2, c12); c13 = Vector512.FusedMultiplyAdd(x, b3, c13);
                x = Vector512.Create(a[2 * Stride + 1]);
                c20 = Vector512.FusedMultiplyAdd(x, b0, c20); c21 = Vector512.FusedMultiplyAdd(x, b1, c21);
                c22 = Vector512.FusedMultiplyAdd(x, b2, c22); c23 = Vector512.FusedMultiplyAdd(x, b3, c23);
                x = Vector512.Create(a[3 * Stride + 1]);
                c30 = Vector512.FusedMultiplyAdd(x, b0, c30); c31 = Vector512.FusedMultiplyAdd(x, b1, c31);
                c32 = Vector512.FusedMultiplyAdd(x, b2, c32); c33 = Vector512.FusedMultiplyAdd(x, b3, c33);
                x = Vector512.Create(a[4 * Stride + 1]);
                c40 = Vector512.FusedMultiplyAdd(x, b0, c40); c41 = Vector512.FusedMultiplyAdd(x, b1, c41);
                c42 = Vector512.FusedMultiplyAdd(x, b2, c42); c43 = Vector512.FusedMultiplyAdd(x, b3, c43);
                x = Vector512.Create(a[5 * Stride + 1]);
                c50 = Vector512.FusedMultiplyAdd(x, b0, c50); c51 = Vector512.FusedMultiplyAdd(x, b1, c51);
                c52 = Vector512.FusedMultiplyAdd(x, b2, c52); c53 = Vector512.FusedMultiplyAdd(x, b3, c53);

                b0 = Vector512.Load(b + 128);
                b1 = Vector512.Load(b + 144);
                b2 = Vector512.Load(b + 160);
                b3 = Vector512.Load(b + 176);
                x = Vector512.Create(a[0 * Stride + 2]);
                c00 = Vector512.FusedMultiplyAdd(x, b0, c00); c01 = Vector512.FusedMultiplyAdd(x, b1, c01);
                c02 = Vector512.FusedMultiplyAdd(x, b2, c02); c03 = Vector512.FusedMultiplyAdd(x, b3, c03);
                x = Vector512.Create(a[1 * Stride + 2]);
                c10 = Vector512.FusedMultiplyAdd(x, b0, c10); c11 = Vector512.FusedMultiplyAdd(x, b1, c11);
                c12 = Vector512.FusedMultiplyAdd(x, b2, c12); c13 = Vector512.FusedMultiplyAdd(x, b3, c13);
                x = Vector512.Create(a[2 * Stride + 2]);
                c20 = Vector512.FusedMultiplyAdd(x, b0, c20); c21 = Vector512.FusedMultiplyAdd(x, b1, c21);
                c22 = Vector512.FusedMultiplyAdd(x, b2, c22); c23 = Vector512.FusedMultiplyAdd(x, b3, c23);
                x = Vector512.Create(a[3 * Stride + 2]);
                c30 = Vector512.FusedMultiplyAdd(x, b0, c30); c31 = Vector512.FusedMultiplyAdd(x, b1, c31);
                c32 = Vector512.FusedMultiplyAdd(x, b2, c32); c33 = Vector512.FusedMultiplyAdd(x, b3, c33);
                x = Vector512.Create(a[4 * Stride + 2]);
                c40 = Vector512.FusedMultiplyAdd(x, b0, c40); c41 = Vector512.FusedMultiplyAdd(x, b1, c41);
                c42 = Vector512.FusedMultiplyAdd(x, b2, c42); c43 = Vector512.FusedMultiplyAdd(x, b3, c43);
                x = Vector512.Create(a[5 * Stride + 2]);
                c50 = Vector512.FusedMultiplyAdd(x, b0, c50); c51 = Vector512.FusedMultiplyAdd(x, b1, c51);
                c52 = Vector512.FusedMultiplyAdd(x, b2, c52); c53 = Vector512.FusedMultiplyAdd(x, b3, c53);

                b0 = Vector512.Load(b + 192);
                b1 = Vector512.Load(b + 208);
                b2 = Vector512.Load(b + 224);
                b3 = Vector512.Load(b + 240);
                x = Vector512.Create(a[0 * Stride + 3]);
                c00 = Vector512.FusedMultiplyAdd(x, b0, c00); c01 = Vector512.FusedMultiplyAdd(x, b1, c01);
                c02 = Vector512.FusedMultiplyAdd(x, b2, c02); c03 = Vector512.FusedMultiplyAdd(x, b3, c03);
                x = Vector512.Create(a[1 * Stride + 3]);
                c10 = Vector512.FusedMultiplyAdd(x, b0, c10); c11 = Vector512.FusedMultiplyAdd(x, b1, c11);
                c12 = Vector512.FusedMultiplyAdd(x, b2, c12); c13 = Vector512.FusedMultiplyAdd(x, b3, c13);
                x = Vector512.Create(a[2 * Stride + 3]);
                c20 = Vector512.FusedMultiplyAdd(x, b0, c20); c21 = Vector512.FusedMultiplyAdd(x, b1, c21);
                c22 = Vector512.FusedMultiplyAdd(x, b2, c22); c23 = Vector512.FusedMultiplyAdd(x, b3, c23);
                x = Vector512.Create(a[3 * Stride + 3]);
                c30 = Vector512.FusedMultiplyAdd(x, b0, c30); c31 = Vector512.FusedMultiplyAdd(x, b1, c31);
                c32 = Vector512.FusedMultiplyAdd(x, b2, c32); c33 = Vector512.FusedMultiplyAdd(x, b3, c33);
                x = Vector512.Create(a[4 * Stride + 3]);
                c40 = Vector512.FusedMultiplyAdd(x, b0, c40); c41 = Vector512.FusedMultiplyAdd(x, b1, c41);
                c42 = Vector512.FusedMultiplyAdd(x, b2, c42); c43 = Vector512.FusedMultiplyAdd(x, b3, c43);
                x = Vector512.Create(a[5 * Stride + 3]);
                c50 = Vector512.FusedMultiplyAdd(x, b0, c50); c51 = Vector512.FusedMultiplyAdd(x, b1, c51);
                c52 = Vector512.FusedMultiplyAdd(x, b2, c52); c53 = Vector512.FusedMultiplyAdd(x, b3, c53);
            }

            Vector512<float> va = Vector512.Create(alpha);
            StoreRow(c, c00, c01, c02, c03, va, beta);
            StoreRow(c + ldc, c10, c11, c12, c13, va, beta);
            StoreRow(c + 2L * ldc, c20, c21, c22, c23, va, beta);
            StoreRow(c + 3L * ldc, c30, c31, c32, c33, va, beta);
            StoreRow(c + 4L * ldc, c40, c41, c42, c43, va, beta);
            StoreRow(c + 5L * ldc, c50, c51, c52, c53, va, beta);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void StoreRow(float* c, Vector512<float> x0, Vector512<float> x1, Vector512<float> x2, Vector512<float> x3, Vector512<float> alpha, float beta)
        {
            if (beta == 0f)
            {
                Vector512.Store(x0 * alpha, c);
                Vector512.Store(x1 * alpha, c + 16);
                Vector512.Store(x2 * alpha, c + 32);
                Vector512.Store(x3 * alpha, c + 48);
            }
            else
            {
                Vector512<float> vb = Vector512.Create(beta);
                Vector512.Store(Vector512.FusedMultiplyAdd(x0, alpha, Vector512.Load(c) * vb), c);
                Vector512.Store(Vector512.FusedMultiplyAdd(x1, alpha, Vector512.Load(c + 16) * vb), c + 16);
                Vector512.Store(Vector512.FusedMultiplyAdd(x2, alpha, Vector512.Load(c + 32) * vb), c + 32);
                Vector512.Store(Vector512.FusedMultiplyAdd(x3, alpha, Vector512.Load(c + 48) * vb), c + 48);
            }
        }
    }

    /// <summary>6×16 tile: 12 ymm accumulators, 2 B vectors and a broadcast in 16 registers
    /// (the BLIS Haswell shape).</summary>
    private readonly struct Avx2Kernel : IGemmKernel
    {
        private const int Stride = 256 + 16;

        public static int MR => 6;
        public static int NR => 16;
        public static int KC => 256;
        public static int MC => 144;
        public static int NC => 4096;
        public static int AStride => Stride;

        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        public static void Run(float* a, float* b, int kc, float* c, int ldc, float alpha, float beta)
        {
            Vector256<float> c00 = default, c01 = default;
            Vector256<float> c10 = default, c11 = default;
            Vector256<float> c20 = default, c21 = default;
            Vector256<float> c30 = default, c31 = default;
            Vector256<float> c40 = default, c41 = default;
            Vector256<float> c50 = default, c51 = default;

            // Packing pads kc to a multiple of 4, so the loop is unrolled by four with no
            // remainder: loop overhead and pointer bumps are paid once per four k steps.
            Vector256<float> b0, b1, x;
            for (int p = 0; p < kc; p += 4, a += 4, b += 64)
            {
                b0 = Vector256.Load(b + 0);
                b1 = Vector256.Load(b + 8);
                x = Vector256.Create(a[0 * Stride + 0]);
                c00 = Vector256.FusedMultiplyAdd(x, b0, c00); c01 = Vector256.FusedMultiplyAdd(x, b1, c01);
                x = Vector256.Create(a[1 * Stride + 0]);
                c10 = Vector256.FusedMultiplyAdd(x, b0, c10); c11 = Vector256.FusedMultiplyAdd(x, b1, c11);
                x = Vector256.Create(a[2 * Stride + 0]);
                c20 = Vector256.FusedMultiplyAdd(x, b0, c20); c21 = Vector256.FusedMultiplyAdd(x, b1, c21);
                x = Vector256.Create(a[3 * Stride + 0]);
                c30 = Vector256.FusedMultiplyAdd(x, b0, c30); c31 = Vector256.FusedMultiplyAdd(x, b1, c31);
                x = Vector256.Create(a[4 * Stride + 0]);
                c40 = Vector256.FusedMultiplyAdd(x, b0, c40); c41 = Vector256.FusedMultiplyAdd(x, b1, c41);
                x = Vector256.Create(a[5 * Stride + 0]);
                c50 = Vector256.FusedMultiplyAdd(x, b0, c50); c51 = Vector256.FusedMultiplyAdd(x, b1, c51);

                b0 = Vector256.Load(b + 16);
                b1 = Vector256.Load(b + 24);
                x = Vector256.Create(a[0 * Stride + 1]);
                c00 = Vector256.FusedMultiplyAdd(x, b0, c00); c01 = Vector256.FusedMultiplyAdd(x, b1, c01);
                x = Vector256.Create(a[1 * Stride + 1]);
                c10 = Vector256.FusedMultiplyAdd(x, b0, c10); c11 = Vector256.FusedMultiplyAdd(x, b1, c11);
                x = Vector256.Create(a[2 * Stride + 1]);
                c20 = Vector256.FusedMultiplyAdd(x, b0, c20); c21 = Vector256.FusedMultiplyAdd(x, b1, c21);
                x = Vector256.Create(a[3 * Stride + 1]);
                c30 = Vector256.FusedMultiplyAdd(x, b0, c30); c31 = Vector256.FusedMultiplyAdd(x, b1, c31);
                x = Vector256.Create(a[4 * Stride + 1]);
                c40 = Vector256.FusedMultiplyAdd(x, b0, c40); c41 = Vector256.FusedMultiplyAdd(x, b1, c41);
                x = Vector256.Create(a[5 * Stride + 1]);
                c50 = Vector256.FusedMultiplyAdd(x, b0, c50); c51 = Vector256.FusedMultiplyAdd(x, b1, c51);

                b0 = Vector256.Load(b + 32);
                b1 = Vector256.Load(b + 40);
                x = Vector256.Create(a[0 * Stride + 2]);
                c00 = Vector256.FusedMultiplyAdd(x, b0, c00); c01 = Vector256.FusedMultiplyAdd(x, b1, c01);
                x = Vector256.Create(a[1 * Stride + 2]);
                c10 = Vector256.FusedMultiplyAdd(x, b0, c10); c11 = Vector256.FusedMultiplyAdd(x, b1, c11);
                x = Vector256.Create(a[2 * Stride + 2]);
                c20 = Vector256.FusedMultiplyAdd(x, b0, c20); c21 = Vector256.FusedMultiplyAdd(x, b1, c21);
                x = Vector256.Create(a[3 * Stride + 2]);
                c30 = Vector256.FusedMultiplyAdd(x, b0, c30); c31 = Vector256.FusedMultiplyAdd(x, b1, c31);
                x = Vector256.Create(a[4 * Stride + 2]);
                c40 = Vector256.FusedMultiplyAdd(x, b0, c40); c41 = Vector256.FusedMultiplyAdd(x, b1, c41);
                x = Vector256.Create(a[5 * Stride + 2]);
                c50 = Vector256.FusedMultiplyAdd(x, b0, c50); c51 = Vector256.FusedMultiplyAdd(x, b1, c51);

                b0 = Vector256.Load(b + 48);
                b1 = Vector256.Load(b + 56);
                x = Vector256.Create(a[0 * Stride + 3]);
                c00 = Vector256.FusedMultiplyAdd(x, b0, c00); c01 = Vector256.FusedMultiplyAdd(x, b1, c01);
                x = Vector256.Create(a[1 * Stride + 3]);
                c10 = Vector256.FusedMultiplyAdd(x, b0, c10); c11 = Vector256.FusedMultiplyAdd(x, b1, c11);
                x = Vector256.Create(a[2 * Stride + 3]);
                c20 = Vector256.FusedMultiplyAdd(x, b0, c20); c21 = Vector256.FusedMultiplyAdd(x, b1, c21);
                x = Vector256.Create(a[3 * Stride + 3]);
                c30 = Vector256.FusedMultiplyAdd(x, b0, c30); c31 = Vector256.FusedMultiplyAdd(x, b1, c31);
                x = Vector256.Create(a[4 * Stride + 3]);
                c40 = Vector256.FusedMultiplyAdd(x, b0, c40); c41 = Vector256.FusedMultiplyAdd(x, b1, c41);
                x = Vector256.Create(a[5 * Stride + 3]);
                c50 = Vector256.FusedMultiplyAdd(x, b0, c50); c51 = Vector256.FusedMultiplyAdd(x, b1, c51);
            }

            Vector256<float> va = Vector256.Create(alpha);
            StoreRow(c, c00, c01, va, beta);
            StoreRow(c + ldc, c10, c11, va, beta);
            StoreRow(c + 2L * ldc, c20, c21, va, beta);
            StoreRow(c + 3L * ldc, c30, c31, va, beta);
            StoreRow(c + 4L * ldc, c40, c41, va, beta);
            StoreRow(c + 5L * ldc, c50, c51, va, beta);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void StoreRow(float* c, Vector256<float> x0, Vector256<float> x1, Vector256<float> alpha, float beta)
        {
            if (beta == 0f)
            {
                Vector256.Store(x0 * alpha, c);
                Vector256.Store(x1 * alpha, c + 8);
            }
            else
            {
                Vector256<float> vb = Vector256.Create(beta);
                Vector256.Store(Vector256.FusedMultiplyAdd(x0, alpha, Vector256.Load(c) * vb), c);
                Vector256.Store(Vector256.FusedMultiplyAdd(x1, alpha, Vector256.Load(c + 8) * vb), c + 8);
            }
        }
    }

    /// <summary>4×4 tile in plain scalars, for machines without usable SIMD.</summary>
    private readonly struct ScalarKernel : IGemmKernel
    {
        private const int Stride = 256 + 16;

        public static int MR => 4;
        public static int NR => 4;
        public static int KC => 256;
        public static int MC => 128;
        public static int NC => 4096;
        public static int AStride => Stride;

        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        public static void Run(float* a, float* b, int kc, float* c, int ldc, float alpha, float beta)
        {
            float c00 = 0, c01 = 0, c02 = 0, c03 = 0;
            float c10 = 0, c11 = 0, c12 = 0, c13 = 0;
            float c20 = 0, c21 = 0, c22 = 0, c23 = 0;
            float c30 = 0, c31 = 0, c32 = 0, c33 = 0;
            for (int p = 0; p < kc; p++, a++, b += 4)
            {
                float b0 = b[0], b1 = b[1], b2 = b[2], b3 = b[3];
                float x = a[0];
                c00 += x * b0; c01 += x * b1; c02 += x * b2; c03 += x * b3;
                x = a[Stride];
                c10 += x * b0; c11 += x * b1; c12 += x * b2; c13 += x * b3;
                x = a[2 * Stride];
                c20 += x * b0; c21 += x * b1; c22 += x * b2; c23 += x * b3;
                x = a[3 * Stride];
                c30 += x * b0; c31 += x * b1; c32 += x * b2; c33 += x * b3;
            }

            StoreRow(c, c00, c01, c02, c03, alpha, beta);
            StoreRow(c + ldc, c10, c11, c12, c13, alpha, beta);
            StoreRow(c + 2L * ldc, c20, c21, c22, c23, alpha, beta);
            StoreRow(c + 3L * ldc, c30, c31, c32, c33, alpha, beta);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void StoreRow(float* c, float x0, float x1, float x2, float x3, float alpha, float beta)
        {
            if (beta == 0f)
            {
                c[0] = alpha * x0; c[1] = alpha * x1; c[2] = alpha * x2; c[3] = alpha * x3;
            }
            else
            {
                c[0] = alpha * x0 + beta * c[0]; c[1] = alpha * x1 + beta * c[1];
                c[2] = alpha * x2 + beta * c[2]; c[3] = alpha * x3 + beta * c[3];
            }
        }
    }
}
