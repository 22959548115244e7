using System.Numerics.Tensors;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Sapling.Backends.Cpu.Simd;
using Sapling.Memory;
using Sapling.Quantization.Ggml;

namespace Sapling.Backends.Cpu;

/// <summary>
/// Products with weights in their stored dtype (<see cref="StoredMatrix"/>). Float32 weights go straight to the GEMM
/// through their pointer. Bfloat16 and float16 weights take one of two paths:
/// <list type="bullet">
/// <item>a few activation rows (decoding): each weight row is streamed once, widened a chunk at a time into an L1
/// buffer and dotted with every activation row, rows of W split across the workers — the weights are read once per
/// token, which is what bounds decoding;</item>
/// <item>more rows (prefill, training): panels of W rows are widened into a per-thread float32 buffer and multiplied by
/// the blocked GEMM, panels split across the workers — the widening is a small cost next to the product, and no
/// float32 copy of the whole matrix ever exists.</item>
/// </list>
/// ggml's block-quantised weights (Q8_0, Q4_K, ...) decode through <see cref="BlockQuantKernels"/> (few rows, integer
/// products) or are decoded to float32 panels like bf16 (many rows).
/// </summary>
internal static unsafe class StoredWeightKernels
{
    /// <summary>Products with at most this many activation rows stream the weights.</summary>
    public const int StreamingMaxRows = 4;

    /// <summary>
    /// Block-quantised weights take the integer decoding kernels up to this many activation rows (a continuous batch
    /// of decoding sequences), unless the integer GEMM takes them first (<see cref="BlockQuantGemm.MinRows"/>);
    /// beyond it, the integer GEMM or, where it does not run, panels decoded to float32 for the float GEMM.
    /// </summary>
    public const int IntegerMaxRows = 16;

    // Widening granularity of the streaming path: 2 KB of float32, well inside L1.
    private const int Chunk = 512;

    // A panel holds at most this many float32 elements (4 MB), at least 16 rows.
    private const int PanelElements = 1 << 20;

    [ThreadStatic] private static float[]? t_panel;

    public static void Linear(float* x, int m, StoredMatrix w, float* y, bool accumulate)
    {
        if (m == 0 || w.Rows == 0) return;
        if (w.DType == DType.Float32)
        {
            Gemm.Sgemm(false, w.RowMajor, m, w.Rows, w.Cols, 1f, x, w.Cols, (float*)w.Data, Leading(w), accumulate ? 1f : 0f, y, w.Rows);
            return;
        }
        if (w.Cols == 0)
        {
            if (!accumulate) new Span<float>(y, m * w.Rows).Clear();
            return;
        }
        var job = LinearJob.ForCurrentThread();
        bool integerGemm = m >= BlockQuantGemm.MinRows && w.RowMajor && BlockQuantGemm.IsSupported(w.DType) && (long)m * w.Cols <= BlockQuantGemm.MaxPackedElements;
        bool integer = !integerGemm && m <= IntegerMaxRows && BlockQuantKernels.HasIntegerKernel(w.DType);
        bool streaming = (m <= StreamingMaxRows || integer) && w.RowMajor;
        int rowsPerPart = streaming ? StreamingRowsPerPart(w.Rows) : integerGemm ? StreamingRowsPerPart(w.Rows) / 4 * 4 : PanelRows(m, w.Rows, w.Cols);
        int parts = (w.Rows + rowsPerPart - 1) / rowsPerPart;
        job.Prepare(x, m, w, y, accumulate, streaming, rowsPerPart);
        // The integer kernels quantise the activation rows once, before the workers share the rows of W.
        if (integer) job.Quantized = BlockQuantKernels.Quantize(x, m, w.Cols, w.DType);
        if (integerGemm) job.Packed = BlockQuantGemm.Pack(x, m, w.Cols, w.DType);
        try
        {
            if (parts == 1 || CpuWorkers.Threads == 1 || CpuWorkers.IsInsideDispatch)
                for (int p = 0; p < parts; p++) job.Run(p);
            else
                CpuWorkers.Run(parts, job);
        }
        finally
        {
            job.Release();
        }
    }

    /// <summary>dx[m, cols] = dy[m, rows]·W, one widened panel of W rows after another, each added by the parallel GEMM.</summary>
    public static void MatMul(float* dy, int m, StoredMatrix w, float* dx)
    {
        if (m == 0 || w.Cols == 0) return;
        if (w.DType == DType.Float32)
        {
            Gemm.Sgemm(false, !w.RowMajor, m, w.Cols, w.Rows, 1f, dy, w.Rows, (float*)w.Data, Leading(w), 0f, dx, w.Cols);
            return;
        }
        if (w.Rows == 0)
        {
            new Span<float>(dx, m * w.Cols).Clear();
            return;
        }
        int nb = Math.Max(16, Math.Min(w.Rows, PanelElements / Math.Max(1, w.Cols)));
        float* panel = Panel(nb * w.Cols, out var pinned);
        try
        {
            for (int j0 = 0; j0 < w.Rows; j0 += nb)
            {
                int count = Math.Min(nb, w.Rows - j0);
                WidenPanel(w, j0, count, panel);
                // A row-major panel is [count, cols]; a column-major one is [cols, count].
                Gemm.Sgemm(false, !w.RowMajor, m, w.Cols, count, 1f, dy + j0, w.Rows, panel, w.RowMajor ? w.Cols : count,
                    j0 == 0 ? 0f : 1f, dx, w.Cols);
            }
        }
        finally
        {
            GC.KeepAlive(pinned);
        }
    }

    public static void Embedding(StoredMatrix table, long[] ids, float* y)
    {
        int dim = table.Cols;
        for (int i = 0; i < ids.Length; i++)
        {
            float* row = y + (long)i * dim;
            if (table.RowMajor)
            {
                DecodeRow(table, (int)ids[i], row, exact: true);
            }
            else
            {
                for (int c = 0; c < dim; c++) row[c] = table[(int)ids[i], c];
            }
        }
    }

    /// <summary>Converts n bfloat16 or float16 (or copies float32) elements to float32.</summary>
    public static void Widen(DType dtype, void* source, float* destination, int n)
    {
        switch (dtype)
        {
            case DType.Float32:
                new ReadOnlySpan<float>(source, n).CopyTo(new Span<float>(destination, n));
                return;
            case DType.Float16:
                TensorPrimitives.ConvertToSingle(new ReadOnlySpan<Half>(source, n), new Span<float>(destination, n));
                return;
        }
        // bf16 is the top half of a float32: widen to 32 bits and shift.
        ushort* s = (ushort*)source;
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i + 32 <= n; i += 32)
            {
                var (lo, hi) = Vector512.Widen(Vector512.Load(s + i));
                Vector512.ShiftLeft(lo, 16).AsSingle().Store(destination + i);
                Vector512.ShiftLeft(hi, 16).AsSingle().Store(destination + i + 16);
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            for (; i + 16 <= n; i += 16)
            {
                var (lo, hi) = Vector256.Widen(Vector256.Load(s + i));
                Vector256.ShiftLeft(lo, 16).AsSingle().Store(destination + i);
                Vector256.ShiftLeft(hi, 16).AsSingle().Store(destination + i + 8);
            }
        }
        for (; i < n; i++) destination[i] = BFloat16.ToSingle(s[i]);
    }

    /// <summary>
    /// Row r of a row-major W as float32: widened, or for block types dequantised bit for bit as ggml does
    /// (<paramref name="exact"/>: embedding rows) or by the vectorised decoders, within a rounding of it (panels).
    /// </summary>
    private static void DecodeRow(StoredMatrix w, int r, float* destination, bool exact = false)
    {
        if (w.IsBlockQuantized && !exact && BlockQuantKernels.HasIntegerKernel(w.DType))
            BlockQuantKernels.DecodeRow(w, r, destination);
        else if (w.IsBlockQuantized)
            GgmlBlocks.Dequantize(w.DType.ToGgml(), new ReadOnlySpan<byte>(w.RowAddress(r), checked((int)w.RowBytes)), new Span<float>(destination, w.Cols));
        else
            Widen(w.DType, ElementAddress(w, r, 0), destination, w.Cols);
    }

    private static int Leading(StoredMatrix w) => checked((int)w.LeadingDimension);

    private static byte* ElementAddress(StoredMatrix w, int r, int c) =>
        (byte*)w.Data + (r * w.RowStride + c * w.ColStride) * w.DType.ElementSize();

    /// <summary>Enough parts for the workers to balance (about eight per thread), at least 16 rows each.</summary>
    private static int StreamingRowsPerPart(int rows) => Math.Max(16, rows / (8 * CpuWorkers.Threads));

    /// <summary>Panels of about 4 MB, fewer rows when that leaves too few panels to share among the workers.</summary>
    private static int PanelRows(int m, int rows, int cols)
    {
        int nb = Math.Clamp(PanelElements / Math.Max(1, cols), 16, 512);
        int forWorkers = rows / (2 * CpuWorkers.Threads);
        if (forWorkers >= 16) nb = Math.Min(nb, forWorkers);
        return Math.Max(16, nb / 16 * 16);
    }

    /// <summary>This thread's panel buffer (pinned, grown when needed).</summary>
    private static float* Panel(int elements, out float[] pinned)
    {
        var buffer = t_panel;
        if (buffer == null || buffer.Length < elements)
            t_panel = buffer = GC.AllocateUninitializedArray<float>(elements, pinned: true);
        pinned = buffer;
        return (float*)System.Runtime.CompilerServices.Unsafe.AsPointer(ref buffer[0]);
    }

    /// <summary>Rows j0 .. j0 + count of W as float32: [count, cols] when W is row-major, [cols, count] otherwise.</summary>
    private static void WidenPanel(StoredMatrix w, int j0, int count, float* panel)
    {
        if (w.RowMajor)
            for (int r = 0; r < count; r++) DecodeRow(w, j0 + r, panel + (long)r * w.Cols);
        else
            for (int c = 0; c < w.Cols; c++) Widen(w.DType, ElementAddress(w, j0, c), panel + (long)c * count, count);
    }

    private static void PanelRange(float* x, int m, StoredMatrix w, float* y, bool accumulate, int j0, int count)
    {
        float* panel = Panel(count * w.Cols, out var pinned);
        WidenPanel(w, j0, count, panel);
        Gemm.SgemmManaged(false, w.RowMajor, m, count, w.Cols, 1f, x, w.Cols, panel, w.RowMajor ? w.Cols : count,
            accumulate ? 1f : 0f, y + j0, w.Rows);
        GC.KeepAlive(pinned);
    }

    private static void StreamRange(float* x, int m, StoredMatrix w, float* y, bool accumulate, int j0, int j1)
    {
        if (w.IsBlockQuantized)
        {
            StreamDecodedRows(x, m, w, y, accumulate, j0, j1);
            return;
        }
        if (w.DType == DType.BFloat16)
        {
            if (Avx512BW.IsSupported && Vector512.IsHardwareAccelerated) { StreamBf16Avx512(x, m, w, y, accumulate, j0, j1); return; }
            if (Avx2.IsSupported) { StreamBf16Avx2(x, m, w, y, accumulate, j0, j1); return; }
        }
        switch (ManagedGemm.SelectedKernel)
        {
            case ManagedGemm.KernelKind.Avx512: StreamRange<Float512>(x, m, w, y, accumulate, j0, j1); break;
            case ManagedGemm.KernelKind.Avx2: StreamRange<Float256>(x, m, w, y, accumulate, j0, j1); break;
            default: StreamRangeScalar(x, m, w, y, accumulate, j0, j1); break;
        }
    }

    /// <summary>
    /// bf16 rows widened in registers: 32 elements are loaded, zero-extended to 32 bits and shifted into the top half
    /// of a float32, then multiplied straight into the accumulators — no buffer between the load and the FMA.
    /// </summary>
    private static void StreamBf16Avx512(float* x, int m, StoredMatrix w, float* y, bool accumulate, int j0, int j1)
    {
        int k = w.Cols, vectorEnd = k - k % 32;
        float* x1 = x + k, x2 = x1 + k, x3 = x2 + k;
        for (int j = j0; j < j1; j++)
        {
            ushort* row = (ushort*)ElementAddress(w, j, 0);
            Vector512<float> a0 = default, b0 = default, a1 = default, b1 = default, a2 = default, b2 = default, a3 = default, b3 = default;
            for (int p = 0; p < vectorEnd; p += 32)
            {
                var raw = Vector512.Load(row + p);
                var lo = Vector512.ShiftLeft(Avx512BW.ConvertToVector512UInt32(raw.GetLower()), 16).AsSingle();
                var hi = Vector512.ShiftLeft(Avx512BW.ConvertToVector512UInt32(raw.GetUpper()), 16).AsSingle();
                a0 = Vector512.FusedMultiplyAdd(lo, Vector512.Load(x + p), a0);
                b0 = Vector512.FusedMultiplyAdd(hi, Vector512.Load(x + p + 16), b0);
                if (m == 1) continue;
                a1 = Vector512.FusedMultiplyAdd(lo, Vector512.Load(x1 + p), a1);
                b1 = Vector512.FusedMultiplyAdd(hi, Vector512.Load(x1 + p + 16), b1);
                if (m == 2) continue;
                a2 = Vector512.FusedMultiplyAdd(lo, Vector512.Load(x2 + p), a2);
                b2 = Vector512.FusedMultiplyAdd(hi, Vector512.Load(x2 + p + 16), b2);
                if (m == 3) continue;
                a3 = Vector512.FusedMultiplyAdd(lo, Vector512.Load(x3 + p), a3);
                b3 = Vector512.FusedMultiplyAdd(hi, Vector512.Load(x3 + p + 16), b3);
            }
            FinishRow(x, m, k, row, vectorEnd, y, w.Rows, j, accumulate, Vector512.Sum(a0 + b0), Vector512.Sum(a1 + b1), Vector512.Sum(a2 + b2), Vector512.Sum(a3 + b3));
        }
    }

    private static void StreamBf16Avx2(float* x, int m, StoredMatrix w, float* y, bool accumulate, int j0, int j1)
    {
        int k = w.Cols, vectorEnd = k - k % 16;
        float* x1 = x + k, x2 = x1 + k, x3 = x2 + k;
        for (int j = j0; j < j1; j++)
        {
            ushort* row = (ushort*)ElementAddress(w, j, 0);
            Vector256<float> a0 = default, b0 = default, a1 = default, b1 = default, a2 = default, b2 = default, a3 = default, b3 = default;
            for (int p = 0; p < vectorEnd; p += 16)
            {
                var lo = Vector256.ShiftLeft(Avx2.ConvertToVector256Int32(Vector128.Load(row + p)), 16).AsSingle();
                var hi = Vector256.ShiftLeft(Avx2.ConvertToVector256Int32(Vector128.Load(row + p + 8)), 16).AsSingle();
                a0 = Vector256.FusedMultiplyAdd(lo, Vector256.Load(x + p), a0);
                b0 = Vector256.FusedMultiplyAdd(hi, Vector256.Load(x + p + 8), b0);
                if (m == 1) continue;
                a1 = Vector256.FusedMultiplyAdd(lo, Vector256.Load(x1 + p), a1);
                b1 = Vector256.FusedMultiplyAdd(hi, Vector256.Load(x1 + p + 8), b1);
                if (m == 2) continue;
                a2 = Vector256.FusedMultiplyAdd(lo, Vector256.Load(x2 + p), a2);
                b2 = Vector256.FusedMultiplyAdd(hi, Vector256.Load(x2 + p + 8), b2);
                if (m == 3) continue;
                a3 = Vector256.FusedMultiplyAdd(lo, Vector256.Load(x3 + p), a3);
                b3 = Vector256.FusedMultiplyAdd(hi, Vector256.Load(x3 + p + 8), b3);
            }
            FinishRow(x, m, k, row, vectorEnd, y, w.Rows, j, accumulate, Vector256.Sum(a0 + b0), Vector256.Sum(a1 + b1), Vector256.Sum(a2 + b2), Vector256.Sum(a3 + b3));
        }
    }

    /// <summary>Adds the scalar tail of a bf16 row (columns from <paramref name="from"/>) to each row's vector sum and stores it.</summary>
    private static void FinishRow(float* x, int m, int k, ushort* row, int from, float* y, int ldy, int j, bool accumulate, float s0, float s1, float s2, float s3)
    {
        for (int p = from; p < k; p++)
        {
            float wp = BFloat16.ToSingle(row[p]);
            s0 += wp * x[p];
            if (m > 1) s1 += wp * x[k + p];
            if (m > 2) s2 += wp * x[2 * k + p];
            if (m > 3) s3 += wp * x[3 * k + p];
        }
        Store(y, ldy, 0, j, s0, accumulate);
        if (m > 1) Store(y, ldy, 1, j, s1, accumulate);
        if (m > 2) Store(y, ldy, 2, j, s2, accumulate);
        if (m > 3) Store(y, ldy, 3, j, s3, accumulate);
    }

    /// <summary>y[i, j] (+)= x[i, :]·W[j, :] for rows j0 .. j1 of W and every activation row i (at most four), through a widening buffer (float16, or bf16 without AVX2).</summary>
    private static void StreamRange<TVec>(float* x, int m, StoredMatrix w, float* y, bool accumulate, int j0, int j1)
        where TVec : struct, IFloatVector<TVec>
    {
        int k = w.Cols, lanes = TVec.Count;
        float* buffer = stackalloc float[Chunk];
        float* x1 = x + k, x2 = x1 + k, x3 = x2 + k;
        for (int j = j0; j < j1; j++)
        {
            byte* row = ElementAddress(w, j, 0);
            TVec a0 = TVec.Zero, a1 = TVec.Zero, a2 = TVec.Zero, a3 = TVec.Zero;
            float t0 = 0f, t1 = 0f, t2 = 0f, t3 = 0f;
            for (int p = 0; p < k; p += Chunk)
            {
                int length = Math.Min(Chunk, k - p);
                Widen(w.DType, row + (long)p * 2, buffer, length);
                int vectorEnd = length - length % lanes;
                for (int q = 0; q < vectorEnd; q += lanes)
                {
                    var wq = TVec.Load(new ReadOnlySpan<float>(buffer + q, lanes));
                    a0 = TVec.FusedMultiplyAdd(wq, TVec.Load(new ReadOnlySpan<float>(x + p + q, lanes)), a0);
                    if (m == 1) continue;
                    a1 = TVec.FusedMultiplyAdd(wq, TVec.Load(new ReadOnlySpan<float>(x1 + p + q, lanes)), a1);
                    if (m == 2) continue;
                    a2 = TVec.FusedMultiplyAdd(wq, TVec.Load(new ReadOnlySpan<float>(x2 + p + q, lanes)), a2);
                    if (m == 3) continue;
                    a3 = TVec.FusedMultiplyAdd(wq, TVec.Load(new ReadOnlySpan<float>(x3 + p + q, lanes)), a3);
                }
                for (int q = vectorEnd; q < length; q++)
                {
                    float wq = buffer[q];
                    t0 += wq * x[p + q];
                    if (m > 1) t1 += wq * x1[p + q];
                    if (m > 2) t2 += wq * x2[p + q];
                    if (m > 3) t3 += wq * x3[p + q];
                }
            }
            Store(y, w.Rows, 0, j, TVec.Sum(a0) + t0, accumulate);
            if (m > 1) Store(y, w.Rows, 1, j, TVec.Sum(a1) + t1, accumulate);
            if (m > 2) Store(y, w.Rows, 2, j, TVec.Sum(a2) + t2, accumulate);
            if (m > 3) Store(y, w.Rows, 3, j, TVec.Sum(a3) + t3, accumulate);
        }
    }

    /// <summary>The same without vector registers.</summary>
    private static void StreamRangeScalar(float* x, int m, StoredMatrix w, float* y, bool accumulate, int j0, int j1)
    {
        int k = w.Cols;
        float* buffer = stackalloc float[Chunk];
        for (int j = j0; j < j1; j++)
        {
            byte* row = ElementAddress(w, j, 0);
            for (int i = 0; i < m; i++)
            {
                float s = 0f;
                for (int p = 0; p < k; p += Chunk)
                {
                    int length = Math.Min(Chunk, k - p);
                    Widen(w.DType, row + (long)p * 2, buffer, length);
                    for (int q = 0; q < length; q++) s = MathF.FusedMultiplyAdd(buffer[q], x[(long)i * k + p + q], s);
                }
                Store(y, w.Rows, i, j, s, accumulate);
            }
        }
    }

    /// <summary>
    /// Block-quantised rows without an integer kernel here: each row decoded to float32 in this thread's panel buffer
    /// and dotted with every activation row.
    /// </summary>
    private static void StreamDecodedRows(float* x, int m, StoredMatrix w, float* y, bool accumulate, int j0, int j1)
    {
        int k = w.Cols;
        float* row = Panel(k, out var pinned);
        for (int j = j0; j < j1; j++)
        {
            DecodeRow(w, j, row);
            var decoded = new ReadOnlySpan<float>(row, k);
            for (int i = 0; i < m; i++)
                Store(y, w.Rows, i, j, System.Numerics.Tensors.TensorPrimitives.Dot(decoded, new ReadOnlySpan<float>(x + (long)i * k, k)), accumulate);
        }
        GC.KeepAlive(pinned);
    }

    private static void Store(float* y, int ldy, int i, int j, float value, bool accumulate)
    {
        float* at = y + (long)i * ldy + j;
        *at = accumulate ? *at + value : value;
    }

    private sealed class LinearJob : IParallelWork
    {
        [ThreadStatic] private static LinearJob? t_cached;
        private float* x;
        private float* y;
        private int m;
        private StoredMatrix w;
        private bool accumulate;
        private bool streaming;
        private int rowsPerPart;

        public static LinearJob ForCurrentThread() => t_cached ??= new LinearJob();

        public void Prepare(float* input, int rows, StoredMatrix weight, float* output, bool add, bool stream, int perPart)
        {
            x = input;
            y = output;
            (m, w, accumulate, streaming, rowsPerPart) = (rows, weight, add, stream, perPart);
        }

        /// <summary>The activation rows quantised for <see cref="BlockQuantKernels"/>, when W has an integer kernel.</summary>
        public BlockQuantKernels.QuantizedRows? Quantized { get; set; }

        /// <summary>The activation rows quantised and packed for <see cref="BlockQuantGemm"/>, when many rows meet a weight it multiplies.</summary>
        public BlockQuantGemm.PackedRows? Packed { get; set; }

        public void Release()
        {
            x = null;
            y = null;
            w = default;
            Quantized = null;
            Packed = null;
        }

        public void Run(int part)
        {
            int j0 = part * rowsPerPart, j1 = Math.Min(w.Rows, j0 + rowsPerPart);
            if (j0 >= j1) return;
            if (Quantized is { } q) BlockQuantKernels.StreamRange(q, w, y, accumulate, j0, j1);
            else if (Packed is { } packed) BlockQuantGemm.Multiply(packed, w, y, accumulate, j0, j1);
            else if (streaming) StreamRange(x, m, w, y, accumulate, j0, j1);
            else PanelRange(x, m, w, y, accumulate, j0, j1 - j0);
        }
    }
}
