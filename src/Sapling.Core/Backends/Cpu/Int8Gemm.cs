using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Sapling.Memory;

namespace Sapling.Backends.Cpu;

/// <summary>
/// Dynamic int8 linear layer: y = dequant(quant(x) · Wᵀ) + b. Each row of x is quantised symmetrically to int8 with its
/// own scale (max|x_row|/127), multiplied with the packed int8 weight in exact int32 arithmetic, and dequantised with
/// row scale × channel scale; the bias is added in float32. Parts of the output (row chunks × channel chunks) run on
/// <see cref="CpuWorkers"/>; the quantised activations live in a pooled buffer, so a call allocates nothing per element.
/// </summary>
public static unsafe class Int8Gemm
{
    // Below this many multiply-adds a dispatch costs more than it saves.
    private const long ParallelThresholdMacs = 1L << 17;
    private const int RowTile = 4;

    /// <summary>The fastest path this machine supports.</summary>
    public static Int8Path BestPath => IsSupported(Int8Path.AvxVnni) ? Int8Path.AvxVnni : IsSupported(Int8Path.Avx2) ? Int8Path.Avx2 : Int8Path.Scalar;

    /// <summary>Whether this machine's CPU can run <paramref name="path"/> (the scalar path always can).</summary>
    public static bool IsSupported(Int8Path path) => path switch
    {
        Int8Path.Scalar => true,
        Int8Path.Avx2 => Avx2.IsSupported && Sse41.IsSupported,
        Int8Path.AvxVnni => AvxVnni.IsSupported,
        _ => false,
    };

    /// <summary>
    /// Quantises <paramref name="x"/> symmetrically into <paramref name="q"/> (round half to even, as PyTorch) and
    /// returns the scale (max|x|/127; 1 for an all-zero row, whose values are then all 0).
    /// </summary>
    public static float QuantizeRow(ReadOnlySpan<float> x, Span<sbyte> q)
    {
        float amax = x.Length == 0 ? 0f : MathF.Abs(System.Numerics.Tensors.TensorPrimitives.MaxMagnitude(x));
        if (!(amax > 0f) || !float.IsFinite(amax))
        {
            if (float.IsNaN(amax) || float.IsInfinity(amax)) throw new ArgumentException("int8 quantisation: the input row holds NaN or infinity");
            q[..x.Length].Clear();
            return 1f;
        }
        float inverse = 127f / amax;
        int i = 0;
        if (Avx.IsSupported)
        {
            // cvtps2dq rounds half to even like MathF.Round; |x·127/amax| ≤ 127, so the narrowing never wraps.
            var scale = Vector256.Create(inverse);
            fixed (float* xp = x)
            fixed (sbyte* qp = q)
                for (; i + 32 <= x.Length; i += 32)
                {
                    var a = Avx.ConvertToVector256Int32(Avx.LoadVector256(xp + i) * scale);
                    var b = Avx.ConvertToVector256Int32(Avx.LoadVector256(xp + i + 8) * scale);
                    var c = Avx.ConvertToVector256Int32(Avx.LoadVector256(xp + i + 16) * scale);
                    var d = Avx.ConvertToVector256Int32(Avx.LoadVector256(xp + i + 24) * scale);
                    Vector256.Narrow(Vector256.Narrow(a, b), Vector256.Narrow(c, d)).Store(qp + i);
                }
        }
        for (; i < x.Length; i++) q[i] = (sbyte)Math.Clamp((int)MathF.Round(x[i] * inverse), -127, 127);
        return amax / 127f;
    }

    /// <summary>
    /// y[m, n] = rowScale[m]·W.Scales[n]·Σₖ quant(x)[m, k]·W[n, k] + bias[n] for x [m, K] row-major at
    /// <paramref name="xOffset"/>; y [m, N] is written from <paramref name="yOffset"/>.
    /// </summary>
    public static void Linear(float[] x, int xOffset, int m, Int8PackedMatrix w, float[]? bias, int biasOffset,
        float[] y, int yOffset, Int8Path? path = null) => Linear(x, xOffset, m, w, bias, biasOffset, y, yOffset, path, null);

    private static void Linear(float[] x, int xOffset, int m, Int8PackedMatrix w, float[]? bias, int biasOffset,
        float[] y, int yOffset, Int8Path? path, Conv2dGeometry? patches)
    {
        var chosen = path ?? BestPath;
        if (!IsSupported(chosen)) throw new PlatformNotSupportedException($"int8 gemm: this CPU does not support the {chosen} path");
        int stride = w.KGroups * 4;
        var pool = TensorMemory.Pool<sbyte>();
        var floatPool = TensorMemory.Pool<float>();
        // Whole row tiles, so the 4-row kernel never reads past the buffer; padding rows and columns are zero.
        int paddedRows = (m + RowTile - 1) / RowTile * RowTile;
        var q = pool.Rent(paddedRows * stride);
        var rowScale = floatPool.Rent(paddedRows);
        try
        {
            // Padding must be zero; the rows themselves are written by whichever part quantises them.
            if (stride != w.K) Array.Clear(q);
            else q.AsSpan(m * stride).Clear();
            Run(chosen, q, rowScale, m, w, bias, biasOffset, y, yOffset, null, x, xOffset, patches);
        }
        finally
        {
            pool.Return(q);
            floatPool.Return(rowScale);
        }
    }

    /// <summary>
    /// A convolution (groups = 1) as one int8 product: row (n, oh, ow) of the activations is the patch the output
    /// position reads (im2row), gathered and quantised inside the parallel parts, so no unfolded float matrix is
    /// materialised. y is [N·outH·outW, out] (channels last), written from <paramref name="yOffset"/>.
    /// </summary>
    public static void Conv2d(float[] x, int xOffset, Conv2dGeometry g, Int8PackedMatrix w, float[]? bias, int biasOffset,
        float[] y, int yOffset, Int8Path? path = null)
    {
        if (g.Channels * g.KernelH * g.KernelW != w.K)
            throw new ArgumentException($"int8 conv2d: patches of {g.Channels}×{g.KernelH}×{g.KernelW} do not match a weight of {w.K} inputs");
        Linear(x, xOffset, g.Batch * g.OutPlane, w, bias, biasOffset, y, yOffset, path, g);
    }

    /// <summary>
    /// The exact int32 products Σₖ q[m, k]·W[n, k] into <paramref name="result"/> [m, N] (for tests: every path must
    /// give the scalar path's numbers). <paramref name="q"/> is row-major [m, K].
    /// </summary>
    internal static void MultiplyInt32(Int8Path path, sbyte[] q, int m, Int8PackedMatrix w, int[] result)
    {
        if (!IsSupported(path)) throw new PlatformNotSupportedException($"int8 gemm: this CPU does not support the {path} path");
        int stride = w.KGroups * 4;
        int paddedRows = (m + RowTile - 1) / RowTile * RowTile;
        var padded = new sbyte[paddedRows * stride];
        for (int r = 0; r < m; r++) q.AsSpan(r * w.K, w.K).CopyTo(padded.AsSpan(r * stride));
        Run(path, padded, null, m, w, null, 0, null, 0, result, null, 0, null);
    }

    private static void Run(Int8Path path, sbyte[] q, float[]? rowScale, int m, Int8PackedMatrix w,
        float[]? bias, int biasOffset, float[]? y, int yOffset, int[]? intOut, float[]? x, int xOffset, Conv2dGeometry? patches)
    {
        if (m == 0) return;
        var job = t_job ??= new Job();
        int pairs = w.Blocks / 2;
        int threads = CpuWorkers.Threads;
        long macs = (long)m * w.N * w.K;
        int rowChunk, pairChunk;
        if (threads <= 1 || macs < ParallelThresholdMacs)
        {
            (rowChunk, pairChunk) = (m, pairs);
        }
        else if (m >= 8 * RowTile * threads)
        {
            // Many rows (a batched forward): split rows; every part streams the whole weight once per 32 rows.
            rowChunk = 8 * RowTile;
            pairChunk = pairs;
        }
        else
        {
            // Few rows (decoding): split the output channels so both cores read half of the weight each.
            rowChunk = m;
            pairChunk = Math.Max(1, (pairs + 4 * threads - 1) / (4 * threads));
        }
        int rowParts = (m + rowChunk - 1) / rowChunk, pairParts = (pairs + pairChunk - 1) / pairChunk;
        // Split by rows, each part quantises its own rows (in parallel); split by channels, every part needs every
        // row, so they are quantised once here (few rows: this is cheap).
        bool quantiseInParts = x != null && pairParts == 1;
        bool unsigned = path == Int8Path.AvxVnni;
        if (x != null && !quantiseInParts) QuantizeRows(x, xOffset, patches, 0, m, w, q, rowScale!, unsigned);
        if (x == null && unsigned) FlipSign(q.AsSpan(0, m * w.KGroups * 4));
        job.Set(path, q, rowScale, m, w, bias, biasOffset, y, yOffset, intOut, rowChunk, pairChunk, quantiseInParts ? x : null, xOffset, patches);
        try
        {
            CpuWorkers.Run(rowParts * pairParts, job);
        }
        finally
        {
            job.Clear();
        }
    }

    private static void QuantizeRows(float[] x, int xOffset, Conv2dGeometry? patches, int r0, int r1, Int8PackedMatrix w, sbyte[] q, float[] rowScale, bool unsigned)
    {
        int stride = w.KGroups * 4;
        if (patches is not { } g)
        {
            for (int r = r0; r < r1; r++)
            {
                rowScale[r] = QuantizeRow(x.AsSpan(xOffset + r * w.K, w.K), q.AsSpan(r * stride, w.K));
                if (unsigned) FlipSign(q.AsSpan(r * stride, w.K));
            }
            return;
        }
        // One patch at a time in a per-thread buffer: the unfolded matrix never exists as a whole.
        var buffer = t_patch is { } b && b.Length >= w.K ? b : (t_patch = new float[w.K]);
        var patch = buffer.AsSpan(0, w.K);
        for (int r = r0; r < r1; r++)
        {
            GatherPatch(x, xOffset, g, r, patch);
            rowScale[r] = QuantizeRow(patch, q.AsSpan(r * stride, w.K));
            if (unsigned) FlipSign(q.AsSpan(r * stride, w.K));
        }
    }

    /// <summary>
    /// q → q + 128 as unsigned bytes (XOR 0x80), the operand VNNI's vpdpbusd multiplies; done once per row here so
    /// the kernel's inner loop broadcasts straight from memory.
    /// </summary>
    private static void FlipSign(Span<sbyte> row)
    {
        var bytes = System.Runtime.InteropServices.MemoryMarshal.Cast<sbyte, byte>(row);
        int i = 0;
        var mask = Vector256.Create((byte)0x80);
        for (; i + 32 <= bytes.Length; i += 32) (Vector256.Create(bytes.Slice(i, 32)) ^ mask).CopyTo(bytes.Slice(i, 32));
        for (; i < bytes.Length; i++) bytes[i] ^= 0x80;
    }

    /// <summary>The input values output position <paramref name="row"/> = (n, oh, ow) reads, in (c, ki, kj) order; 0 in the padding.</summary>
    private static void GatherPatch(float[] x, int xOffset, Conv2dGeometry g, int row, Span<float> patch)
    {
        int n = row / g.OutPlane, rem = row % g.OutPlane, oh = rem / g.OutWidth, ow = rem % g.OutWidth;
        int i = 0;
        for (int c = 0; c < g.Channels; c++)
        {
            int plane = xOffset + (n * g.Channels + c) * g.Height * g.Width;
            for (int ki = 0; ki < g.KernelH; ki++)
            {
                int ih = oh * g.StrideH - g.PadH + ki * g.DilationH;
                if ((uint)ih >= (uint)g.Height)
                {
                    patch.Slice(i, g.KernelW).Clear();
                    i += g.KernelW;
                    continue;
                }
                int line = plane + ih * g.Width;
                for (int kj = 0; kj < g.KernelW; kj++)
                {
                    int iw = ow * g.StrideW - g.PadW + kj * g.DilationW;
                    patch[i++] = (uint)iw < (uint)g.Width ? x[line + iw] : 0f;
                }
            }
        }
    }

    [ThreadStatic] private static float[]? t_patch;

    [ThreadStatic] private static Job? t_job;

    private sealed class Job : IParallelWork
    {
        private Int8Path path;
        private sbyte[] q = [];
        private float[]? rowScale;
        private int m, rowChunk, pairChunk, pairParts;
        private Int8PackedMatrix? w;
        private float[]? bias;
        private int biasOffset;
        private float[]? y;
        private int yOffset;
        private int[]? intOut;
        private float[]? x;
        private int xOffset;
        private Conv2dGeometry? patches;

        public void Set(Int8Path path, sbyte[] q, float[]? rowScale, int m, Int8PackedMatrix w, float[]? bias, int biasOffset,
            float[]? y, int yOffset, int[]? intOut, int rowChunk, int pairChunk, float[]? x, int xOffset, Conv2dGeometry? patches)
        {
            (this.x, this.xOffset, this.patches) = (x, xOffset, patches);
            (this.path, this.q, this.rowScale, this.m, this.w, this.bias, this.biasOffset, this.y, this.yOffset, this.intOut) =
                (path, q, rowScale, m, w, bias, biasOffset, y, yOffset, intOut);
            (this.rowChunk, this.pairChunk) = (rowChunk, pairChunk);
            pairParts = (w.Blocks / 2 + pairChunk - 1) / pairChunk;
        }

        // Drop references so a finished call does not keep its buffers reachable.
        public void Clear() => (q, rowScale, w, bias, y, intOut, x) = ([], null, null, null, null, null, null);

        public void Run(int part)
        {
            var matrix = w!;
            int r0 = part / pairParts * rowChunk, p0 = part % pairParts * pairChunk;
            int r1 = Math.Min(m, r0 + rowChunk), p1 = Math.Min(matrix.Blocks / 2, p0 + pairChunk);
            int stride = matrix.KGroups * 4;
            if (x != null) QuantizeRows(x, xOffset, patches, r0, r1, matrix, q, rowScale!, path == Int8Path.AvxVnni);
            int* tile = stackalloc int[RowTile * 16];
            fixed (sbyte* qp = q)
            fixed (sbyte* wp = matrix.Data)
            {
                for (int p = p0; p < p1; p++)
                {
                    sbyte* wBlock = wp + (long)2 * p * matrix.KGroups * 32;
                    for (int r = r0; r < r1;)
                    {
                        int rows = path == Int8Path.AvxVnni && r1 - r >= RowTile ? RowTile : 1;
                        sbyte* xRow = qp + (long)r * stride;
                        switch (path)
                        {
                            case Int8Path.AvxVnni when rows == RowTile: Vnni4(xRow, stride, wBlock, matrix.KGroups, tile); break;
                            case Int8Path.AvxVnni: Vnni1(xRow, wBlock, matrix.KGroups, tile); break;
                            case Int8Path.Avx2: Avx2Row(xRow, wBlock, matrix.KGroups, tile); break;
                            default: ScalarRow(xRow, wBlock, matrix.KGroups, tile); break;
                        }
                        for (int i = 0; i < rows; i++) Store(tile + 16 * i, r + i, p * 16, matrix);
                        r += rows;
                    }
                }
            }
        }

        /// <summary>Writes one row's 16 sums: as int32 (tests) or dequantised with the bias added.</summary>
        private void Store(int* sums, int row, int n0, Int8PackedMatrix matrix)
        {
            if (path == Int8Path.AvxVnni)
                for (int i = 0; i < 16; i++) sums[i] -= matrix.CompensationU8[n0 + i];
            int count = Math.Min(16, matrix.N - n0);
            if (count <= 0) return;
            if (intOut != null)
            {
                new ReadOnlySpan<int>(sums, count).CopyTo(intOut.AsSpan(row * matrix.N + n0, count));
                return;
            }
            float rs = rowScale![row];
            var output = y!;
            int at = yOffset + row * matrix.N + n0;
            if (count == 16 && Vector256.IsHardwareAccelerated)
            {
                for (int h = 0; h < 16; h += 8)
                {
                    var v = Vector256.ConvertToSingle(Vector256.Load(sums + h)) * (Vector256.Create(matrix.Scales, n0 + h) * rs);
                    if (bias != null) v += Vector256.Create(bias, biasOffset + n0 + h);
                    v.CopyTo(output, at + h);
                }
                return;
            }
            for (int i = 0; i < count; i++)
                output[at + i] = sums[i] * (matrix.Scales[n0 + i] * rs) + (bias != null ? bias[biasOffset + n0 + i] : 0f);
        }
    }

    // ---- Micro-kernels: two blocks (16 output channels) for 1 or 4 rows, all groups of 4 k. ----

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Vnni4(sbyte* x, int stride, sbyte* w, int groups, int* tile)
    {
        // Each int32 of a row holds 4 consecutive activations, already stored as the unsigned q + 128.
        int* x0 = (int*)x, x1 = (int*)(x + stride), x2 = (int*)(x + 2 * stride), x3 = (int*)(x + 3 * stride);
        sbyte* w1 = w + groups * 32;
        Vector256<int> a00 = default, a01 = default, a10 = default, a11 = default, a20 = default, a21 = default, a30 = default, a31 = default;
        for (int g = 0; g < groups; g++)
        {
            var v0 = Avx.LoadVector256(w + g * 32);
            var v1 = Avx.LoadVector256(w1 + g * 32);
            var b = Vector256.Create(x0[g]).AsByte();
            a00 = AvxVnni.MultiplyWideningAndAdd(a00, b, v0);
            a01 = AvxVnni.MultiplyWideningAndAdd(a01, b, v1);
            b = Vector256.Create(x1[g]).AsByte();
            a10 = AvxVnni.MultiplyWideningAndAdd(a10, b, v0);
            a11 = AvxVnni.MultiplyWideningAndAdd(a11, b, v1);
            b = Vector256.Create(x2[g]).AsByte();
            a20 = AvxVnni.MultiplyWideningAndAdd(a20, b, v0);
            a21 = AvxVnni.MultiplyWideningAndAdd(a21, b, v1);
            b = Vector256.Create(x3[g]).AsByte();
            a30 = AvxVnni.MultiplyWideningAndAdd(a30, b, v0);
            a31 = AvxVnni.MultiplyWideningAndAdd(a31, b, v1);
        }
        a00.Store(tile); a01.Store(tile + 8);
        a10.Store(tile + 16); a11.Store(tile + 24);
        a20.Store(tile + 32); a21.Store(tile + 40);
        a30.Store(tile + 48); a31.Store(tile + 56);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Vnni1(sbyte* x, sbyte* w, int groups, int* tile)
    {
        int* x0 = (int*)x;
        sbyte* w1 = w + groups * 32;
        // Two accumulators per block hide vpdpbusd's latency on a single row.
        Vector256<int> a0 = default, a1 = default, c0 = default, c1 = default;
        int g = 0;
        for (; g + 1 < groups; g += 2)
        {
            var b = Vector256.Create(x0[g]).AsByte();
            a0 = AvxVnni.MultiplyWideningAndAdd(a0, b, Avx.LoadVector256(w + g * 32));
            a1 = AvxVnni.MultiplyWideningAndAdd(a1, b, Avx.LoadVector256(w1 + g * 32));
            b = Vector256.Create(x0[g + 1]).AsByte();
            c0 = AvxVnni.MultiplyWideningAndAdd(c0, b, Avx.LoadVector256(w + (g + 1) * 32));
            c1 = AvxVnni.MultiplyWideningAndAdd(c1, b, Avx.LoadVector256(w1 + (g + 1) * 32));
        }
        if (g < groups)
        {
            var b = Vector256.Create(x0[g]).AsByte();
            a0 = AvxVnni.MultiplyWideningAndAdd(a0, b, Avx.LoadVector256(w + g * 32));
            a1 = AvxVnni.MultiplyWideningAndAdd(a1, b, Avx.LoadVector256(w1 + g * 32));
        }
        (a0 + c0).Store(tile);
        (a1 + c1).Store(tile + 8);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Avx2Row(sbyte* x, sbyte* w, int groups, int* tile)
    {
        int* x0 = (int*)x;
        sbyte* w1 = w + groups * 32;
        // lo holds channels 0-3 of a block, hi channels 4-7, each as two partial sums (k 0-1 and k 2-3) per channel.
        Vector256<int> lo0 = default, hi0 = default, lo1 = default, hi1 = default;
        for (int g = 0; g < groups; g++)
        {
            // The 4 activations sign-extended to int16 and repeated across the vector: [x0 x1 x2 x3] × 4.
            var xs = Sse41.ConvertToVector128Int16(Vector128.CreateScalar(x0[g]).AsSByte());
            var b = Avx2.BroadcastScalarToVector256(xs.AsInt64()).AsInt16();
            var v0 = Avx.LoadVector256(w + g * 32);
            var v1 = Avx.LoadVector256(w1 + g * 32);
            lo0 = Avx2.Add(lo0, Avx2.MultiplyAddAdjacent(Avx2.ConvertToVector256Int16(v0.GetLower()), b));
            hi0 = Avx2.Add(hi0, Avx2.MultiplyAddAdjacent(Avx2.ConvertToVector256Int16(v0.GetUpper()), b));
            lo1 = Avx2.Add(lo1, Avx2.MultiplyAddAdjacent(Avx2.ConvertToVector256Int16(v1.GetLower()), b));
            hi1 = Avx2.Add(hi1, Avx2.MultiplyAddAdjacent(Avx2.ConvertToVector256Int16(v1.GetUpper()), b));
        }
        FinishPairs(lo0, hi0).Store(tile);
        FinishPairs(lo1, hi1).Store(tile + 8);
    }

    /// <summary>Adds each channel's two partial sums: hadd gives channels [0 1 4 5 | 2 3 6 7]; the permute restores 0..7.</summary>
    private static Vector256<int> FinishPairs(Vector256<int> lo, Vector256<int> hi) =>
        Avx2.Permute4x64(Avx2.HorizontalAdd(lo, hi).AsInt64(), 0b11_01_10_00).AsInt32();

    private static void ScalarRow(sbyte* x, sbyte* w, int groups, int* tile)
    {
        for (int c = 0; c < 16; c++)
        {
            sbyte* block = w + (c / 8) * groups * 32 + (c % 8) * 4;
            int sum = 0;
            for (int g = 0; g < groups; g++)
                for (int j = 0; j < 4; j++) sum += x[g * 4 + j] * block[g * 32 + j];
            tile[c] = sum;
        }
    }
}
