namespace Sapling.Backends.Cpu;

/// <summary>
/// An int8 weight matrix W [n, k] (one row per output channel) with its per-row scales, repacked once for
/// <see cref="Int8Gemm"/>: blocks of 8 output channels, and inside a block groups of 4 consecutive k, so one 32-byte
/// load holds [8 channels][4 k]. That is the operand layout of VNNI's vpdpbusd (each int32 lane sums 4 byte
/// products), which then needs no horizontal sums: lane c of the accumulator is output channel c.
/// </summary>
public sealed class Int8PackedMatrix
{
    /// <summary>Output channels per block (one 256-bit vector of int32 results).</summary>
    internal const int BlockWidth = 8;

    private Int8PackedMatrix(int n, int k)
    {
        N = n;
        K = k;
        KGroups = (k + 3) / 4;
        // Kernels always take two blocks at a time (16 channels), so the block count is rounded up to even.
        Blocks = ((n + 2 * BlockWidth - 1) / (2 * BlockWidth)) * 2;
        Data = new sbyte[Blocks * KGroups * 32];
        Scales = new float[Blocks * BlockWidth];
        CompensationU8 = new int[Blocks * BlockWidth];
    }

    /// <summary>Output channels (rows of W).</summary>
    public int N { get; }

    /// <summary>Input features (columns of W).</summary>
    public int K { get; }

    internal int KGroups { get; }
    internal int Blocks { get; }

    /// <summary>[Blocks][KGroups][8][4]; padding (channels ≥ N, k ≥ K) is zero so it adds nothing.</summary>
    internal sbyte[] Data { get; }

    /// <summary>Per-channel scales, zero-padded to Blocks·8 so the epilogue can load whole vectors.</summary>
    internal float[] Scales { get; }

    /// <summary>
    /// 128·Σₖ W[n, k]: VNNI multiplies unsigned activations, so the kernel feeds q + 128 and subtracts this
    /// afterwards ((q + 128)·w summed = q·w summed + 128·Σw).
    /// </summary>
    internal int[] CompensationU8 { get; }

    /// <summary>Packs <paramref name="w"/> (row-major [n, k]) with one positive scale per row.</summary>
    public static Int8PackedMatrix Pack(ReadOnlySpan<sbyte> w, int n, int k, ReadOnlySpan<float> scales)
    {
        if (n <= 0 || k <= 0) throw new ArgumentException($"int8 matrix: shape [{n}, {k}] must be positive");
        if (w.Length != n * k) throw new ArgumentException($"int8 matrix: {w.Length} values for shape [{n}, {k}]");
        if (scales.Length != n) throw new ArgumentException($"int8 matrix: {scales.Length} scales for {n} rows");
        var packed = new Int8PackedMatrix(n, k);
        var data = packed.Data;
        int groups = packed.KGroups;
        for (int row = 0; row < n; row++)
        {
            int block = row / BlockWidth, lane = row % BlockWidth;
            int sum = 0;
            for (int col = 0; col < k; col++)
            {
                sbyte v = w[row * k + col];
                sum += v;
                data[((block * groups + col / 4) * BlockWidth + lane) * 4 + col % 4] = v;
            }
            packed.CompensationU8[row] = 128 * sum;
            packed.Scales[row] = scales[row];
        }
        return packed;
    }

    /// <summary>Row <paramref name="row"/> dequantised (values × the row's scale) into <paramref name="destination"/> [K].</summary>
    public void DequantizeRow(int row, Span<float> destination)
    {
        int block = row / BlockWidth, lane = row % BlockWidth;
        float scale = Scales[row];
        var data = Data.AsSpan();
        for (int group = 0, col = 0; col < K; group++)
        {
            int start = ((block * KGroups + group) * BlockWidth + lane) * 4;
            for (int c = 0; c < 4 && col < K; c++, col++) destination[col] = data[start + c] * scale;
        }
    }

    /// <summary>The values W [n, k] in row-major order (unpacked; for saving the weight).</summary>
    public sbyte[] Unpack()
    {
        var w = new sbyte[N * K];
        for (int row = 0; row < N; row++)
            for (int col = 0; col < K; col++) w[row * K + col] = At(row, col);
        return w;
    }

    /// <summary>W[row, col] read back from the packed layout (for the scalar path and tests).</summary>
    internal sbyte At(int row, int col) =>
        Data[(((row / BlockWidth) * KGroups + col / 4) * BlockWidth + row % BlockWidth) * 4 + col % 4];
}
