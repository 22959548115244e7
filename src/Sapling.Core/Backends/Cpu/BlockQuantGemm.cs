using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Sapling.Backends.Cpu;

/// <summary>
/// y = x·Wᵀ for many activation rows (prefill) and a ggml block-quantised weight (Q4_K, Q5_K, Q6_K; Q8_0; Q4_0, Q4_1,
/// Q5_0, Q5_1), in 8-bit integers: the activations quantised once as llama.cpp pairs them with the weight (Q8_K,
/// Q8_0, Q8_1), the weights' values multiplied as they are stored, never widened to float32 (Q8_0:
/// <c>BlockQuantGemm.Q8_0.cs</c>; the 32-element formats: <c>BlockQuantGemm.Legacy.cs</c>).
/// </summary>
/// <remarks>
/// <para>
/// Without VNNI (vpdpbusd, which .NET 10 does not expose on AVX-512 processors) the product of unsigned weight bytes
/// and signed activation bytes is vpmaddubsw, 64 multiplies into 32 16-bit sums of pairs. Q4_K's values are 0–15 and
/// Q8_K's −127–127, so a pair sum is at most 3,810 in magnitude and the eight of a 32-element sub-block fit in 16
/// bits (30,480): they are added as 16-bit integers (vpaddw, on any vector pipe) and meet the sub-block's 6-bit scale
/// once, in vpmaddwd, which also widens them to 32 bits. That is about two instructions per 64 multiply-adds; the
/// float32 GEMM needs four FMAs for as many.
/// </para>
/// <para>
/// The register tile is 32 activation rows (two registers of 16 rows × 4 consecutive elements, the activations
/// packed so) by 4 weight rows (each step broadcasts 4 of a weight row's values). Weight rows are decoded four at a
/// time into bytes, their scales and float scales, then meet every tile of activation rows. For the K-quants, per
/// super-block of 256 elements, y += xs·d·Σ sc·q·x − xs·dmin·Σ m·Σx, the offsets (minimums, Q6_K's −32) meeting the
/// activations' integer sums of 16. Same integers as <see cref="BlockQuantKernels"/>' decoding kernels; the float
/// sums associate differently. From <see cref="MinRows"/> activation rows; a tile of 16 rows or fewer computes only
/// its first half (<see cref="ITileHeight"/>).
/// </para>
/// </remarks>
internal static unsafe partial class BlockQuantGemm
{
    /// <summary>Activation rows per register tile.</summary>
    private const int TileRows = 32;

    /// <summary>Weight rows per register tile.</summary>
    private const int GroupRows = 4;

    /// <summary>
    /// Fewest activation rows the GEMM takes: from 12 rows its half tile (16 rows) beats the decoding kernels, which
    /// read the weights once per four rows (a 5,632 × 2,048 weight at 16 rows: Q4_K 5.0 against 3.4 GB/s of weights,
    /// Q6_K 5.6 against 4.1, Q5_0 5.0 against 2.0, Q8_0 5.1 against 3.8; at 12 rows about even; at 8 the decoding
    /// kernels lead, 6.4 against 4.9).
    /// </summary>
    public const int MinRows = 12;

    /// <summary>
    /// Most activation elements one product packs (m·k): a prompt's products stay far below it (chunks of 512 tokens);
    /// beyond it the thread's buffers would pass .NET's array limit, and the float32 panels take the product.
    /// </summary>
    public const long MaxPackedElements = 1L << 30;

    /// <summary>Whether this machine runs the integer GEMM (AVX-512 BW and DQ, as the 512-bit decoding kernels).</summary>
    public static bool IsSupported(DType dtype) =>
        dtype is DType.Q4_K or DType.Q5_K or DType.Q6_K or DType.Q8_0 or DType.Q4_0 or DType.Q4_1 or DType.Q5_0 or DType.Q5_1
        && Avx512BW.IsSupported && Avx512DQ.IsSupported && !BlockQuantKernels.ForceAvx2;

    /// <summary>
    /// Activation rows quantised (Q8_K, Q8_0 or Q8_1) and packed for the tile: per tile of 32 rows and group of 4
    /// elements, two 64-byte vectors (rows 0–15, 16–31); per block (256 elements, or 32), each row's scale, and for Q8_K
    /// its sums of 16 in pairs, for Q4_0 and Q5_0 its integer sum, for Q4_1 and Q5_1 its float sum. Rows past m are zeros.
    /// </summary>
    public readonly struct PackedRows(byte* values, float* scales, int* sumPairs, int rows, int cols)
    {
        public readonly byte* Values = values;    // [tiles, cols / 4, 2, 16, 4]
        public readonly float* Scales = scales;   // [tiles, blocks, 32]
        public readonly int* SumPairs = sumPairs; // Q8_K: [tiles, cols / 256, 8, 32], sums of the sixteen-element runs 2p and 2p + 1; else [tiles, cols / 32, 32]
        public readonly int Rows = rows;
        public readonly int Cols = cols;

        public int Tiles => (Rows + TileRows - 1) / TileRows;
    }

    [ThreadStatic] private static byte[]? t_packed;

    /// <summary>
    /// Quantises and packs x [m, k] for products with <paramref name="weights"/> into this thread's buffers (valid until
    /// the thread packs again); k is a multiple of the weight's block.
    /// </summary>
    public static PackedRows Pack(float* x, int m, int k, DType weights)
    {
        bool kQuant = weights is DType.Q4_K or DType.Q5_K or DType.Q6_K;
        bool integerSums = weights is DType.Q4_0 or DType.Q5_0, floatSums = weights is DType.Q4_1 or DType.Q5_1;
        var q = BlockQuantKernels.Quantize(x, m, k, kQuant ? DType.Q4_K : weights);
        int tiles = (m + TileRows - 1) / TileRows, blocks = k / (kQuant ? 256 : 32), groups = k / 4;
        long valueBytes = (long)tiles * TileRows * k, scaleBytes = (long)tiles * blocks * TileRows * 4;
        long pairBytes = kQuant ? scaleBytes * 8 : integerSums || floatSums ? scaleBytes : 0;
        long needed = valueBytes + scaleBytes + pairBytes + 64;
        if (t_packed == null || t_packed.LongLength < needed) t_packed = GC.AllocateUninitializedArray<byte>(checked((int)needed), pinned: true);
        byte* start = (byte*)(((nint)Unsafe.AsPointer(ref t_packed[0]) + 63) & ~(nint)63);
        uint* values = (uint*)start;
        float* scales = (float*)(start + valueBytes);
        int* pairs = (int*)(start + valueBytes + scaleBytes);
        for (int t = 0; t < tiles; t++)
        {
            uint* tileValues = values + (long)t * groups * TileRows;
            for (int r = 0; r < TileRows; r++)
            {
                int i = t * TileRows + r;
                // Group g of row r goes to lane r of the tile's g-th pair of vectors.
                if (i < m)
                {
                    uint* row = (uint*)(q.Bytes + (long)i * k);
                    for (int g = 0; g < groups; g++) tileValues[g * TileRows + r] = row[g];
                }
                else
                {
                    for (int g = 0; g < groups; g++) tileValues[g * TileRows + r] = 0;
                }
                for (int b = 0; b < blocks; b++)
                {
                    long at = ((long)t * blocks + b) * TileRows + r;
                    // Q8_K's scale is repeated for each 32 of its 256.
                    scales[at] = i < m ? q.Scales[(long)i * (k / 32) + (kQuant ? b * 8 : b)] : 0f;
                    if (integerSums) pairs[at] = i < m ? q.BlockSums[(long)i * (k / 16) + 2 * b] + q.BlockSums[(long)i * (k / 16) + 2 * b + 1] : 0;
                    if (floatSums) ((float*)pairs)[at] = i < m ? q.Sums[(long)i * (k / 32) + b] : 0f;
                    if (!kQuant) continue;
                    short* sums16 = q.BlockSums + (long)i * (k / 16) + b * 16;
                    for (int p = 0; p < 8; p++)
                        pairs[(((long)t * blocks + b) * 8 + p) * TileRows + r] = i < m ? (ushort)sums16[2 * p] | sums16[2 * p + 1] << 16 : 0;
                }
            }
        }
        return new PackedRows(start, scales, pairs, m, k);
    }

    /// <summary>
    /// Four weight rows decoded for the tile: values as unsigned bytes, the scale of every run of elements that shares
    /// one (32 for Q4_K and Q5_K, 16 for Q6_K), the offsets' weights of the activations' sums of 16 in pairs, and the
    /// blocks' two float scales. Q8_0 uses them its own way (<c>BlockQuantGemm.Q8_0.cs</c>).
    /// </summary>
    private sealed class WeightGroup
    {
        [ThreadStatic] private static WeightGroup? t_group;
        private byte[] buffer = [];
        public byte* Values;        // [4, cols]
        public byte* High;          // [4, cols] (Q8_0: the signed high nibbles)
        public short* RunScales;    // [4, cols / 16] (Q4_K, Q5_K use the first half of each row's)
        public int* OffsetPairs;    // [4, cols / 32] (Q8_0: the high nibbles' correction per block)
        public float* Scales;       // [4, cols / 32] (d per block: K-quants use the first eighth of each row's)
        public float* OffsetScales; // [4, cols / 32]: dmin (Q6_K: d; Q4_1, Q5_1: the minimum per block)

        public static WeightGroup ForCurrentThread(int cols)
        {
            var group = t_group ??= new WeightGroup();
            long needed = GroupRows * (2L * cols + cols / 16 * 2 + cols / 32 * 12) + 64;
            if (group.buffer.LongLength < needed) group.buffer = GC.AllocateUninitializedArray<byte>(checked((int)needed), pinned: true);
            // The layout depends on cols, so it is laid out again for every product.
            byte* at = (byte*)(((nint)Unsafe.AsPointer(ref group.buffer[0]) + 63) & ~(nint)63);
            group.Values = at;
            group.High = at + GroupRows * cols;
            group.RunScales = (short*)(group.High + GroupRows * cols);
            group.OffsetPairs = (int*)(group.RunScales + GroupRows * (cols / 16));
            group.Scales = (float*)(group.OffsetPairs + GroupRows * (cols / 32));
            group.OffsetScales = group.Scales + GroupRows * (cols / 32);
            return group;
        }
    }

    /// <summary>y[i, j] (+)= x[i, :]·W[j, :] for weight rows j0 .. j1 and every packed activation row.</summary>
    public static void Multiply(in PackedRows x, StoredMatrix w, float* y, bool accumulate, int j0, int j1)
    {
        switch (w.DType)
        {
            case DType.Q4_K: Multiply<KQuant<Q4_KRuns>>(x, w, y, accumulate, j0, j1); break;
            case DType.Q5_K: Multiply<KQuant<Q5_KRuns>>(x, w, y, accumulate, j0, j1); break;
            case DType.Q6_K: Multiply<KQuant<Q6_KRuns>>(x, w, y, accumulate, j0, j1); break;
            case DType.Q8_0: Multiply<Q8_0Blocks>(x, w, y, accumulate, j0, j1); break;
            case DType.Q4_0: Multiply<Legacy<BlockQuantKernels.Q4_0Bytes>>(x, w, y, accumulate, j0, j1); break;
            case DType.Q4_1: Multiply<Legacy<BlockQuantKernels.Q4_1Bytes>>(x, w, y, accumulate, j0, j1); break;
            case DType.Q5_0: Multiply<Legacy<BlockQuantKernels.Q5_0Bytes>>(x, w, y, accumulate, j0, j1); break;
            case DType.Q5_1: Multiply<Legacy<BlockQuantKernels.Q5_1Bytes>>(x, w, y, accumulate, j0, j1); break;
            default: throw new NotSupportedException($"no integer GEMM for {w.DType.Name()}");
        }
    }

    /// <summary>The driver every format shares: four weight rows decoded, then every tile of activation rows against them.</summary>
    private static void Multiply<TFormat>(in PackedRows x, StoredMatrix w, float* y, bool accumulate, int j0, int j1) where TFormat : IGemmFormat
    {
        int k = x.Cols;
        var group = WeightGroup.ForCurrentThread(k);
        float* tile = stackalloc float[GroupRows * TileRows];
        for (int j = j0; j < j1; j += GroupRows)
        {
            int count = Math.Min(GroupRows, j1 - j);
            for (int r = 0; r < GroupRows; r++) TFormat.DecodeRow(w, r < count ? j + r : -1, r, k, group);
            for (int t = 0; t < x.Tiles; t++)
            {
                if (TileRowsAt(x, t) > 16) TFormat.Tile<WholeTile>(x, t, group, k, tile);
                else TFormat.Tile<HalfTile>(x, t, group, k, tile);
                StoreTile(tile, x, t, y, w.Rows, j, count, accumulate);
            }
        }
    }

    /// <summary>
    /// A weight format the GEMM multiplies: row j decoded into slot r of the group (zeros for j = −1, a row past the
    /// end), and the register tile over tile t of the activation rows, writing tile[i, r].
    /// </summary>
    private interface IGemmFormat
    {
        static abstract void DecodeRow(StoredMatrix w, int j, int r, int k, WeightGroup group);

        static abstract void Tile<THeight>(in PackedRows x, int t, WeightGroup group, int k, float* tile) where THeight : ITileHeight;
    }

    private readonly struct KQuant<TWeights> : IGemmFormat where TWeights : IKRuns
    {
        public static void DecodeRow(StoredMatrix w, int j, int r, int k, WeightGroup group) => DecodeRow<TWeights>(w, j, r, k, group);

        public static void Tile<THeight>(in PackedRows x, int t, WeightGroup group, int k, float* tile) where THeight : ITileHeight =>
            Tile<TWeights, THeight>(x, t, group, k, tile);
    }

    /// <summary>Activation rows in tile t (32, or fewer in the last).</summary>
    private static int TileRowsAt(in PackedRows x, int t) => Math.Min(TileRows, x.Rows - t * TileRows);

    /// <summary>
    /// Whether a tile computes both its halves (activation rows 0–15 and 16–31) or the first only: with 16 rows or
    /// fewer (a decoding batch, or a prompt's last tile) the second half is padding, and leaving it out halves the
    /// tile's work. A type argument, so each form is compiled without the other's branches.
    /// </summary>
    private interface ITileHeight
    {
        static abstract bool Both { get; }
    }

    private readonly struct WholeTile : ITileHeight
    {
        public static bool Both => true;
    }

    private readonly struct HalfTile : ITileHeight
    {
        public static bool Both => false;
    }

    /// <summary>Tile t's outputs ([32, 4]: each activation row's four side by side) into y's columns j .. j + count.</summary>
    private static void StoreTile(float* tile, in PackedRows x, int t, float* y, int ldy, int j, int count, bool accumulate)
    {
        int i0 = t * TileRows, rows = TileRowsAt(x, t);
        for (int i = 0; i < rows; i++)
        {
            float* at = y + (long)(i0 + i) * ldy + j;
            var values = Vector128.Load(tile + GroupRows * i);
            if (count == GroupRows)
            {
                (accumulate ? Vector128.Load(at) + values : values).Store(at);
                continue;
            }
            for (int r = 0; r < count; r++) at[r] = accumulate ? at[r] + values.GetElement(r) : values.GetElement(r);
        }
    }

    /// <summary>Row j of W into slot r of the group (zeros when j is −1, a row past the end).</summary>
    private static void DecodeRow<TWeights>(StoredMatrix w, int j, int r, int k, WeightGroup group) where TWeights : IKRuns
    {
        int blocks = k / 256;
        byte* values = group.Values + (long)r * k;
        short* runScales = group.RunScales + r * (k / 16);
        int* offsetPairs = group.OffsetPairs + r * (k / 32);
        float* scales = group.Scales + r * blocks, offsetScales = group.OffsetScales + r * blocks;
        if (j < 0)
        {
            new Span<byte>(values, k).Clear();
            new Span<short>(runScales, k / 16).Clear();
            new Span<int>(offsetPairs, k / 32).Clear();
            new Span<float>(scales, blocks).Clear();
            new Span<float>(offsetScales, blocks).Clear();
            return;
        }
        byte* row = w.RowAddress(j);
        for (int b = 0; b < blocks; b++)
        {
            var both = TWeights.Decode(row + b * TWeights.BlockBytes, values + b * 256, runScales + b * (256 / 4 / TWeights.RunGroups), offsetPairs + b * 8);
            scales[b] = both.ToScalar();
            offsetScales[b] = both.GetElement(1);
        }
    }

    /// <summary>
    /// Tile t of the activation rows against the group's four weight rows: tile[i, r] = x[32t + i, :]·W[r, :]. Each
    /// run of elements with one scale (<see cref="IKRuns.RunGroups"/> groups of four) is summed in 16 bits
    /// <see cref="IKRuns.WidenGroups"/> groups at a time, then scaled and widened by vpmaddwd.
    /// </summary>
    private static void Tile<TWeights, THeight>(in PackedRows x, int t, WeightGroup group, int k, float* tile) where TWeights : IKRuns where THeight : ITileHeight
    {
        int blocks = k / 256, runsPerBlock = 64 / TWeights.RunGroups;
        byte* xv = x.Values + (long)t * TileRows * k;
        float* xs = x.Scales + (long)t * blocks * TileRows;
        int* xsums = x.SumPairs + (long)t * blocks * 8 * TileRows;
        byte* v0 = group.Values, v1 = v0 + k, v2 = v1 + k, v3 = v2 + k;
        short* c0 = group.RunScales, c1 = c0 + k / 16, c2 = c1 + k / 16, c3 = c2 + k / 16;
        int* n0 = group.OffsetPairs, n1 = n0 + k / 32, n2 = n1 + k / 32, n3 = n2 + k / 32;
        float* d = group.Scales, dm = group.OffsetScales;
        // f[a][r]: float sums for activation rows 16a .. 16a + 15 and weight row r.
        Vector512<float> f00 = default, f01 = default, f02 = default, f03 = default, f10 = default, f11 = default, f12 = default, f13 = default;
        for (int b = 0; b < blocks; b++)
        {
            Vector512<int> i00 = default, i01 = default, i02 = default, i03 = default, i10 = default, i11 = default, i12 = default, i13 = default;
            int e = b * 256;
            byte* xg = xv + (long)e * TileRows;
            for (int run = 0; run < runsPerBlock; run++)
            {
                int unit = b * runsPerBlock + run;
                for (int widen = 0; widen < TWeights.RunGroups; widen += TWeights.WidenGroups)
                {
                    Vector512<short> h00 = default, h01 = default, h02 = default, h03 = default, h10 = default, h11 = default, h12 = default, h13 = default;
                    for (int g = 0; g < TWeights.WidenGroups; g++, xg += 2 * 64, e += 4)
                        GroupProducts<THeight>(xg, v0 + e, v1 + e, v2 + e, v3 + e, ref h00, ref h01, ref h02, ref h03, ref h10, ref h11, ref h12, ref h13);
                    // The run's scale of each weight row meets its 16-bit sums (and widens them); broadcast here, not
                    // held through the loop above, which needs 27 of the 32 vector registers.
                    var sc = Vector512.Create(c0[unit]);
                    i00 += Avx512BW.MultiplyAddAdjacent(h00, sc);
                    if (THeight.Both) i10 += Avx512BW.MultiplyAddAdjacent(h10, sc);
                    sc = Vector512.Create(c1[unit]);
                    i01 += Avx512BW.MultiplyAddAdjacent(h01, sc);
                    if (THeight.Both) i11 += Avx512BW.MultiplyAddAdjacent(h11, sc);
                    sc = Vector512.Create(c2[unit]);
                    i02 += Avx512BW.MultiplyAddAdjacent(h02, sc);
                    if (THeight.Both) i12 += Avx512BW.MultiplyAddAdjacent(h12, sc);
                    sc = Vector512.Create(c3[unit]);
                    i03 += Avx512BW.MultiplyAddAdjacent(h03, sc);
                    if (THeight.Both) i13 += Avx512BW.MultiplyAddAdjacent(h13, sc);
                }
            }
            // The offsets: their weights meet the activations' sums of 16, two at a time.
            Vector512<int> o00 = default, o01 = default, o02 = default, o03 = default, o10 = default, o11 = default, o12 = default, o13 = default;
            for (int p = 0; p < 8; p++)
            {
                int* sums = xsums + (b * 8 + p) * TileRows;
                var s0 = Vector512.Load(sums).AsInt16();
                var s1 = THeight.Both ? Vector512.Load(sums + 16).AsInt16() : default;
                int pair = b * 8 + p;
                var weights = Vector512.Create(n0[pair]).AsInt16();
                o00 += Avx512BW.MultiplyAddAdjacent(s0, weights);
                if (THeight.Both) o10 += Avx512BW.MultiplyAddAdjacent(s1, weights);
                weights = Vector512.Create(n1[pair]).AsInt16();
                o01 += Avx512BW.MultiplyAddAdjacent(s0, weights);
                if (THeight.Both) o11 += Avx512BW.MultiplyAddAdjacent(s1, weights);
                weights = Vector512.Create(n2[pair]).AsInt16();
                o02 += Avx512BW.MultiplyAddAdjacent(s0, weights);
                if (THeight.Both) o12 += Avx512BW.MultiplyAddAdjacent(s1, weights);
                weights = Vector512.Create(n3[pair]).AsInt16();
                o03 += Avx512BW.MultiplyAddAdjacent(s0, weights);
                if (THeight.Both) o13 += Avx512BW.MultiplyAddAdjacent(s1, weights);
            }
            var xs0 = Vector512.Load(xs + b * TileRows);
            var xs1 = THeight.Both ? Vector512.Load(xs + b * TileRows + 16) : default;
            f00 = Block(f00, i00, o00, xs0, d[b], dm[b]);
            if (THeight.Both) f10 = Block(f10, i10, o10, xs1, d[b], dm[b]);
            f01 = Block(f01, i01, o01, xs0, d[blocks + b], dm[blocks + b]);
            if (THeight.Both) f11 = Block(f11, i11, o11, xs1, d[blocks + b], dm[blocks + b]);
            f02 = Block(f02, i02, o02, xs0, d[2 * blocks + b], dm[2 * blocks + b]);
            if (THeight.Both) f12 = Block(f12, i12, o12, xs1, d[2 * blocks + b], dm[2 * blocks + b]);
            f03 = Block(f03, i03, o03, xs0, d[3 * blocks + b], dm[3 * blocks + b]);
            if (THeight.Both) f13 = Block(f13, i13, o13, xs1, d[3 * blocks + b], dm[3 * blocks + b]);
        }
        StoreRows(f00, f01, f02, f03, tile);
        if (THeight.Both) StoreRows(f10, f11, f12, f13, tile + 16 * GroupRows);
    }

    /// <summary>
    /// One group of four elements of the tile: the 32 activation rows' bytes at <paramref name="xg"/> (rows 0–15, then
    /// 16–31) against the four weight rows' four unsigned values at <paramref name="w0"/> … <paramref name="w3"/>, added
    /// to the 16-bit pair sums h[a][r] (a: the activation half, r: the weight row). Shared by the K-quant and the
    /// 32-element formats' tiles.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void GroupProducts<THeight>(byte* xg, byte* w0, byte* w1, byte* w2, byte* w3,
        ref Vector512<short> h00, ref Vector512<short> h01, ref Vector512<short> h02, ref Vector512<short> h03,
        ref Vector512<short> h10, ref Vector512<short> h11, ref Vector512<short> h12, ref Vector512<short> h13) where THeight : ITileHeight
    {
        var x0 = Vector512.Load((sbyte*)xg);
        var x1 = THeight.Both ? Vector512.Load((sbyte*)xg + 64) : default;
        var w = Vector512.Create(Unsafe.ReadUnaligned<int>(w0)).AsByte();
        h00 += Avx512BW.MultiplyAddAdjacent(w, x0);
        if (THeight.Both) h10 += Avx512BW.MultiplyAddAdjacent(w, x1);
        w = Vector512.Create(Unsafe.ReadUnaligned<int>(w1)).AsByte();
        h01 += Avx512BW.MultiplyAddAdjacent(w, x0);
        if (THeight.Both) h11 += Avx512BW.MultiplyAddAdjacent(w, x1);
        w = Vector512.Create(Unsafe.ReadUnaligned<int>(w2)).AsByte();
        h02 += Avx512BW.MultiplyAddAdjacent(w, x0);
        if (THeight.Both) h12 += Avx512BW.MultiplyAddAdjacent(w, x1);
        w = Vector512.Create(Unsafe.ReadUnaligned<int>(w3)).AsByte();
        h03 += Avx512BW.MultiplyAddAdjacent(w, x0);
        if (THeight.Both) h13 += Avx512BW.MultiplyAddAdjacent(w, x1);
    }

    /// <summary>
    /// Sixteen activation rows' sums against the four weight rows (one register per weight row) as [16, 4]: a 4×4
    /// transpose within each 128-bit lane (unpacks of floats, then of pairs), so lane L of u_k holds row 4L + k.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRows(Vector512<float> r0, Vector512<float> r1, Vector512<float> r2, Vector512<float> r3, float* to)
    {
        var t0 = Avx512F.UnpackLow(r0, r1).AsDouble();
        var t1 = Avx512F.UnpackHigh(r0, r1).AsDouble();
        var t2 = Avx512F.UnpackLow(r2, r3).AsDouble();
        var t3 = Avx512F.UnpackHigh(r2, r3).AsDouble();
        var u0 = Avx512F.UnpackLow(t0, t2).AsSingle();
        var u1 = Avx512F.UnpackHigh(t0, t2).AsSingle();
        var u2 = Avx512F.UnpackLow(t1, t3).AsSingle();
        var u3 = Avx512F.UnpackHigh(t1, t3).AsSingle();
        // Lane L of u_k is activation row 4L + k: 16 floats per lane.
        StoreLane(u0.GetLower().GetLower(), u1.GetLower().GetLower(), u2.GetLower().GetLower(), u3.GetLower().GetLower(), to);
        StoreLane(u0.GetLower().GetUpper(), u1.GetLower().GetUpper(), u2.GetLower().GetUpper(), u3.GetLower().GetUpper(), to + 16);
        StoreLane(u0.GetUpper().GetLower(), u1.GetUpper().GetLower(), u2.GetUpper().GetLower(), u3.GetUpper().GetLower(), to + 32);
        StoreLane(u0.GetUpper().GetUpper(), u1.GetUpper().GetUpper(), u2.GetUpper().GetUpper(), u3.GetUpper().GetUpper(), to + 48);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreLane(Vector128<float> row0, Vector128<float> row1, Vector128<float> row2, Vector128<float> row3, float* to)
    {
        row0.Store(to);
        row1.Store(to + 4);
        row2.Store(to + 8);
        row3.Store(to + 12);
    }

    /// <summary>One super-block's contribution for 16 activation rows: f + xs·(d·i − dmin·o).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Block(Vector512<float> f, Vector512<int> products, Vector512<int> offsets, Vector512<float> xs, float d, float dmin) =>
        Vector512.FusedMultiplyAdd(Avx512F.ConvertToVector512Single(products), xs * Vector512.Create(d),
            Vector512.FusedMultiplyAdd(Avx512F.ConvertToVector512Single(offsets), -(xs * Vector512.Create(dmin)), f));

    /// <summary>
    /// A K-quant super-block decoded for the tile: its 256 unsigned values, the scale of each run of
    /// <see cref="RunGroups"/>·4 elements, the offsets' weights of the activations' eight pairs of sums of 16, and
    /// d and the offset scale (lanes 0 and 1).
    /// </summary>
    private interface IKRuns
    {
        static abstract int BlockBytes { get; }

        /// <summary>Groups of four elements that share a scale.</summary>
        static abstract int RunGroups { get; }

        /// <summary>
        /// Groups whose vpmaddubsw sums may be added in 16 bits: 2·max·127 per sum, so 8 for values up to 15, 4 up to
        /// 31, 2 up to 63.
        /// </summary>
        static abstract int WidenGroups { get; }

        static abstract Vector128<float> Decode(byte* block, byte* values, short* runScales, int* offsetPairs);
    }

    /// <summary>Q4_K: values 0–15 in nibbles, 6-bit scales and minimums per 32, y = d·sc·q − dmin·m.</summary>
    private readonly struct Q4_KRuns : IKRuns
    {
        public static int BlockBytes => 144;

        public static int RunGroups => 8;

        public static int WidenGroups => 8;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<float> Decode(byte* block, byte* values, short* runScales, int* offsetPairs)
        {
            var mask = Vector256.Create((byte)0x0F);
            for (int c = 0; c < 4; c++)
            {
                var packed = Vector256.Load(block + 16 + c * 32);
                (packed & mask).Store(values + c * 64);
                (Vector256.ShiftRightLogical(packed.AsUInt16(), 4).AsByte() & mask).Store(values + c * 64 + 32);
            }
            ScalesAndMinimums(block, runScales, offsetPairs);
            return BlockQuantKernels.TwoHalves(Unsafe.ReadUnaligned<uint>(block));
        }
    }

    /// <summary>Q5_K: Q4_K's layout with a fifth bit per value (bit c of the 32 high-bit bytes for the c-th 32 values).</summary>
    private readonly struct Q5_KRuns : IKRuns
    {
        public static int BlockBytes => 176;

        public static int RunGroups => 8;

        public static int WidenGroups => 4;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<float> Decode(byte* block, byte* values, short* runScales, int* offsetPairs)
        {
            var mask = Vector256.Create((byte)0x0F);
            var one = Vector256.Create((byte)0x10);
            var high = Vector256.Load(block + 16);
            for (int c = 0; c < 4; c++)
            {
                var packed = Vector256.Load(block + 48 + c * 32);
                // Bit 2c of a high byte is the fifth bit of value c·64 + l, bit 2c + 1 of value c·64 + 32 + l.
                var fifthLow = Vector256.ShiftLeft(Vector256.ShiftRightLogical(high.AsUInt16(), 2 * c), 4).AsByte() & one;
                var fifthHigh = Vector256.ShiftLeft(Vector256.ShiftRightLogical(high.AsUInt16(), 2 * c + 1), 4).AsByte() & one;
                ((packed & mask) | fifthLow).Store(values + c * 64);
                ((Vector256.ShiftRightLogical(packed.AsUInt16(), 4).AsByte() & mask) | fifthHigh).Store(values + c * 64 + 32);
            }
            ScalesAndMinimums(block, runScales, offsetPairs);
            return BlockQuantKernels.TwoHalves(Unsafe.ReadUnaligned<uint>(block));
        }
    }

    /// <summary>
    /// Q6_K: values 0–63 (stored +32: the offset is −32·sc, so its weights are 32·sc and its scale d), a signed
    /// 8-bit scale per 16.
    /// </summary>
    private readonly struct Q6_KRuns : IKRuns
    {
        public static int BlockBytes => 210;

        public static int RunGroups => 4;

        public static int WidenGroups => 2;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<float> Decode(byte* block, byte* values, short* runScales, int* offsetPairs)
        {
            var mask = Vector256.Create((byte)0x0F);
            var two = Vector256.Create((byte)0x30);
            for (int half = 0; half < 2; half++)
            {
                // Values l, 32 + l, 64 + l, 96 + l of the half: low nibbles of bytes l and 32 + l, then their high
                // nibbles; the top two bits are bits 0–1, 2–3, 4–5 and 6–7 of high byte l.
                var low0 = Vector256.Load(block + half * 64);
                var low1 = Vector256.Load(block + half * 64 + 32);
                var high = Vector256.Load(block + 128 + half * 32).AsUInt16();
                byte* to = values + half * 128;
                ((low0 & mask) | (Vector256.ShiftLeft(high, 4).AsByte() & two)).Store(to);
                ((low1 & mask) | (Vector256.ShiftLeft(high, 2).AsByte() & two)).Store(to + 32);
                ((Vector256.ShiftRightLogical(low0.AsUInt16(), 4).AsByte() & mask) | (high.AsByte() & two)).Store(to + 64);
                ((Vector256.ShiftRightLogical(low1.AsUInt16(), 4).AsByte() & mask) | (Vector256.ShiftRightLogical(high, 2).AsByte() & two)).Store(to + 96);
            }
            var scales = Avx2.ConvertToVector256Int16(Vector128.Load((sbyte*)(block + 192)));
            scales.Store(runScales);
            // The offset −32·sc of run s meets the activations' sum of that run (runs are 16 long: one sum each).
            Vector256.ShiftLeft(scales, 5).AsInt32().Store(offsetPairs);
            uint d = Unsafe.ReadUnaligned<ushort>(block + 208);
            return BlockQuantKernels.TwoHalves(d | d << 16);
        }
    }

    /// <summary>Q4_K and Q5_K's eight 6-bit scales and minimums: each minimum weighs both sums of 16 of its run of 32.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ScalesAndMinimums(byte* block, short* runScales, int* offsetPairs)
    {
        var words = BlockQuantKernels.KScalesAndMinsWide(block + 4, out var minimumPairs).GetLower();
        words.GetLower().Store(runScales);
        // KScalesAndMinsWide repeats each minimum twice (16-bit lanes 2s, 2s + 1): one int32 per run of 32.
        minimumPairs.AsInt32().Store(offsetPairs);
    }
}
