using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Sapling.Backends.Cpu;

/// <summary>
/// y = x·Wᵀ for many activation rows (prefill) and a Q4_K weight, in 8-bit integers: the activations quantised once as
/// llama.cpp's Q8_K, the weights' 4-bit values multiplied as they are stored, never widened to float32.
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
/// time into bytes, 6-bit scales and minimums and float scales, then meet every tile of activation rows. Per
/// super-block of 256 elements, y += xs·d·Σ sc·q·x − xs·dmin·Σ m·Σx, the minimums meeting the activations' integer
/// sums of 32. Same integers as <see cref="BlockQuantKernels"/>' decoding kernels; the float sums associate
/// differently.
/// </para>
/// </remarks>
internal static unsafe class KQuantGemm
{
    /// <summary>Activation rows per register tile.</summary>
    private const int TileRows = 32;

    /// <summary>Weight rows per register tile.</summary>
    private const int GroupRows = 4;

    /// <summary>Whether this machine runs the integer GEMM (AVX-512 BW and DQ, as the 512-bit decoding kernels).</summary>
    public static bool IsSupported(DType dtype) => dtype == DType.Q4_K && Avx512BW.IsSupported && Avx512DQ.IsSupported && !BlockQuantKernels.ForceAvx2;

    /// <summary>
    /// Activation rows quantised (Q8_K) and packed for the tile: per tile of 32 rows and group of 4 elements, two
    /// 64-byte vectors (rows 0–15, 16–31); per super-block, each row's Q8_K scale and its sums of 32 in 16-bit pairs.
    /// Rows past m are zeros.
    /// </summary>
    public readonly struct PackedRows(byte* values, float* scales, int* sumPairs, int rows, int cols)
    {
        public readonly byte* Values = values;    // [tiles, cols / 4, 2, 16, 4]
        public readonly float* Scales = scales;   // [tiles, cols / 256, 32]
        public readonly int* SumPairs = sumPairs; // [tiles, cols / 256, 4, 32]: sums of sub-blocks 2t and 2t + 1
        public readonly int Rows = rows;
        public readonly int Cols = cols;

        public int Tiles => (Rows + TileRows - 1) / TileRows;
    }

    [ThreadStatic] private static byte[]? t_packed;

    /// <summary>Quantises and packs x [m, k] into this thread's buffers (valid until the thread packs again); k is a multiple of 256.</summary>
    public static PackedRows Pack(float* x, int m, int k)
    {
        var q = BlockQuantKernels.Quantize(x, m, k, DType.Q4_K);
        int tiles = (m + TileRows - 1) / TileRows, blocks = k / 256, groups = k / 4;
        long valueBytes = (long)tiles * TileRows * k, scaleBytes = (long)tiles * blocks * TileRows * 4, pairBytes = scaleBytes * 4;
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
                    scales[at] = i < m ? q.Scales[(long)i * (k / 32) + b * 8] : 0f;
                    short* sums16 = q.BlockSums + (long)i * (k / 16) + b * 16;
                    for (int p = 0; p < 4; p++)
                    {
                        int low = 0, high = 0;
                        if (i < m)
                        {
                            low = sums16[4 * p] + sums16[4 * p + 1];
                            high = sums16[4 * p + 2] + sums16[4 * p + 3];
                        }
                        pairs[(((long)t * blocks + b) * 4 + p) * TileRows + r] = (low & 0xFFFF) | (high << 16);
                    }
                }
            }
        }
        return new PackedRows(start, scales, pairs, m, k);
    }

    /// <summary>Four weight rows decoded for the tile: values as bytes, sub-block scales, minimums in pairs, float scales.</summary>
    private sealed class WeightGroup
    {
        [ThreadStatic] private static WeightGroup? t_group;
        private byte[] buffer = [];
        public byte* Values;      // [4, cols]
        public short* SubScales;  // [4, cols / 32]
        public int* MinPairs;     // [4, cols / 64]: minimums of sub-blocks 2t and 2t + 1
        public float* Scales;     // [4, cols / 256]: d
        public float* MinScales;  // [4, cols / 256]: dmin

        public static WeightGroup ForCurrentThread(int cols)
        {
            var group = t_group ??= new WeightGroup();
            long needed = GroupRows * ((long)cols + cols / 32 * 2 + cols / 64 * 4 + cols / 256 * 8) + 64;
            if (group.buffer.LongLength < needed) group.buffer = GC.AllocateUninitializedArray<byte>(checked((int)needed), pinned: true);
            // The layout depends on cols, so it is laid out again for every product.
            byte* at = (byte*)(((nint)Unsafe.AsPointer(ref group.buffer[0]) + 63) & ~(nint)63);
            group.Values = at;
            group.SubScales = (short*)(at + GroupRows * cols);
            group.MinPairs = (int*)(group.SubScales + GroupRows * (cols / 32));
            group.Scales = (float*)(group.MinPairs + GroupRows * (cols / 64));
            group.MinScales = group.Scales + GroupRows * (cols / 256);
            return group;
        }
    }

    /// <summary>y[i, j] (+)= x[i, :]·W[j, :] for weight rows j0 .. j1 and every packed activation row.</summary>
    public static void Multiply(in PackedRows x, StoredMatrix w, float* y, bool accumulate, int j0, int j1)
    {
        int k = x.Cols;
        var group = WeightGroup.ForCurrentThread(k);
        float* tile = stackalloc float[GroupRows * TileRows];
        for (int j = j0; j < j1; j += GroupRows)
        {
            int count = Math.Min(GroupRows, j1 - j);
            for (int r = 0; r < GroupRows; r++) DecodeRow(w, r < count ? j + r : -1, r, k, group);
            for (int t = 0; t < x.Tiles; t++)
            {
                Tile(x, t, group, k, tile);
                int i0 = t * TileRows, rows = Math.Min(TileRows, x.Rows - i0);
                for (int r = 0; r < count; r++)
                    for (int i = 0; i < rows; i++)
                    {
                        float* at = y + (long)(i0 + i) * w.Rows + j + r;
                        *at = accumulate ? *at + tile[r * TileRows + i] : tile[r * TileRows + i];
                    }
            }
        }
    }

    /// <summary>Row j of W into slot r of the group (zeros when j is −1, a row past the end).</summary>
    private static void DecodeRow(StoredMatrix w, int j, int r, int k, WeightGroup group)
    {
        int blocks = k / 256;
        byte* values = group.Values + (long)r * k;
        short* subScales = group.SubScales + r * (k / 32);
        int* minPairs = group.MinPairs + r * (k / 64);
        float* scales = group.Scales + r * blocks, minScales = group.MinScales + r * blocks;
        if (j < 0)
        {
            new Span<byte>(values, k).Clear();
            new Span<short>(subScales, k / 32).Clear();
            new Span<int>(minPairs, k / 64).Clear();
            new Span<float>(scales, blocks).Clear();
            new Span<float>(minScales, blocks).Clear();
            return;
        }
        byte* row = w.RowAddress(j);
        var mask = Vector256.Create((byte)0x0F);
        for (int b = 0; b < blocks; b++)
        {
            byte* block = row + b * 144;
            var both = BlockQuantKernels.TwoHalves(Unsafe.ReadUnaligned<uint>(block));
            scales[b] = both.ToScalar();
            minScales[b] = both.GetElement(1);
            var words = BlockQuantKernels.KScalesAndMinsWide(block + 4, out _).GetLower();
            words.GetLower().Store(subScales + b * 8);
            // Minimums 2t and 2t + 1 are 16-bit lanes 8 + 2t and 9 + 2t: one int32 each pair.
            words.GetUpper().AsInt32().Store(minPairs + b * 4);
            for (int c = 0; c < 4; c++)
            {
                var packed = Vector256.Load(block + 16 + c * 32);
                (packed & mask).Store(values + b * 256 + c * 64);
                (Vector256.ShiftRightLogical(packed.AsUInt16(), 4).AsByte() & mask).Store(values + b * 256 + c * 64 + 32);
            }
        }
    }

    /// <summary>Tile t of the activation rows against the group's four weight rows: tile[r, i] = x[32t + i, :]·W[r, :].</summary>
    private static void Tile(in PackedRows x, int t, WeightGroup group, int k, float* tile)
    {
        int blocks = k / 256;
        byte* xv = x.Values + (long)t * TileRows * k;
        float* xs = x.Scales + (long)t * blocks * TileRows;
        int* xsums = x.SumPairs + (long)t * blocks * 4 * TileRows;
        byte* v0 = group.Values, v1 = v0 + k, v2 = v1 + k, v3 = v2 + k;
        short* c0 = group.SubScales, c1 = c0 + k / 32, c2 = c1 + k / 32, c3 = c2 + k / 32;
        int* n0 = group.MinPairs, n1 = n0 + k / 64, n2 = n1 + k / 64, n3 = n2 + k / 64;
        float* d = group.Scales, dm = group.MinScales;
        // f[a][r]: float sums for activation rows 16a .. 16a + 15 and weight row r.
        Vector512<float> f00 = default, f01 = default, f02 = default, f03 = default, f10 = default, f11 = default, f12 = default, f13 = default;
        for (int b = 0; b < blocks; b++)
        {
            Vector512<int> i00 = default, i01 = default, i02 = default, i03 = default, i10 = default, i11 = default, i12 = default, i13 = default;
            for (int s = 0; s < 8; s++)
            {
                Vector512<short> h00 = default, h01 = default, h02 = default, h03 = default, h10 = default, h11 = default, h12 = default, h13 = default;
                int e = b * 256 + s * 32;
                byte* xg = xv + (long)e * TileRows;
                for (int g = 0; g < 8; g++, xg += 2 * 64)
                {
                    var x0 = Vector512.Load((sbyte*)xg);
                    var x1 = Vector512.Load((sbyte*)xg + 64);
                    int at = e + 4 * g;
                    var w = Vector512.Create(Unsafe.ReadUnaligned<int>(v0 + at)).AsByte();
                    h00 += Avx512BW.MultiplyAddAdjacent(w, x0);
                    h10 += Avx512BW.MultiplyAddAdjacent(w, x1);
                    w = Vector512.Create(Unsafe.ReadUnaligned<int>(v1 + at)).AsByte();
                    h01 += Avx512BW.MultiplyAddAdjacent(w, x0);
                    h11 += Avx512BW.MultiplyAddAdjacent(w, x1);
                    w = Vector512.Create(Unsafe.ReadUnaligned<int>(v2 + at)).AsByte();
                    h02 += Avx512BW.MultiplyAddAdjacent(w, x0);
                    h12 += Avx512BW.MultiplyAddAdjacent(w, x1);
                    w = Vector512.Create(Unsafe.ReadUnaligned<int>(v3 + at)).AsByte();
                    h03 += Avx512BW.MultiplyAddAdjacent(w, x0);
                    h13 += Avx512BW.MultiplyAddAdjacent(w, x1);
                }
                // The sub-block's scale of each weight row meets its 16-bit sums (and widens them).
                int sub = b * 8 + s;
                var sc = Vector512.Create(c0[sub]);
                i00 += Avx512BW.MultiplyAddAdjacent(h00, sc);
                i10 += Avx512BW.MultiplyAddAdjacent(h10, sc);
                sc = Vector512.Create(c1[sub]);
                i01 += Avx512BW.MultiplyAddAdjacent(h01, sc);
                i11 += Avx512BW.MultiplyAddAdjacent(h11, sc);
                sc = Vector512.Create(c2[sub]);
                i02 += Avx512BW.MultiplyAddAdjacent(h02, sc);
                i12 += Avx512BW.MultiplyAddAdjacent(h12, sc);
                sc = Vector512.Create(c3[sub]);
                i03 += Avx512BW.MultiplyAddAdjacent(h03, sc);
                i13 += Avx512BW.MultiplyAddAdjacent(h13, sc);
            }
            // Σ m·Σx over the super-block's eight sub-blocks, two at a time.
            Vector512<int> o00 = default, o01 = default, o02 = default, o03 = default, o10 = default, o11 = default, o12 = default, o13 = default;
            for (int p = 0; p < 4; p++)
            {
                int* sums = xsums + (b * 4 + p) * TileRows;
                var s0 = Vector512.Load(sums).AsInt16();
                var s1 = Vector512.Load(sums + 16).AsInt16();
                int pair = b * 4 + p;
                var mins = Vector512.Create(n0[pair]).AsInt16();
                o00 += Avx512BW.MultiplyAddAdjacent(s0, mins);
                o10 += Avx512BW.MultiplyAddAdjacent(s1, mins);
                mins = Vector512.Create(n1[pair]).AsInt16();
                o01 += Avx512BW.MultiplyAddAdjacent(s0, mins);
                o11 += Avx512BW.MultiplyAddAdjacent(s1, mins);
                mins = Vector512.Create(n2[pair]).AsInt16();
                o02 += Avx512BW.MultiplyAddAdjacent(s0, mins);
                o12 += Avx512BW.MultiplyAddAdjacent(s1, mins);
                mins = Vector512.Create(n3[pair]).AsInt16();
                o03 += Avx512BW.MultiplyAddAdjacent(s0, mins);
                o13 += Avx512BW.MultiplyAddAdjacent(s1, mins);
            }
            var xs0 = Vector512.Load(xs + b * TileRows);
            var xs1 = Vector512.Load(xs + b * TileRows + 16);
            f00 = Block(f00, i00, o00, xs0, d[b], dm[b]);
            f10 = Block(f10, i10, o10, xs1, d[b], dm[b]);
            f01 = Block(f01, i01, o01, xs0, d[blocks + b], dm[blocks + b]);
            f11 = Block(f11, i11, o11, xs1, d[blocks + b], dm[blocks + b]);
            f02 = Block(f02, i02, o02, xs0, d[2 * blocks + b], dm[2 * blocks + b]);
            f12 = Block(f12, i12, o12, xs1, d[2 * blocks + b], dm[2 * blocks + b]);
            f03 = Block(f03, i03, o03, xs0, d[3 * blocks + b], dm[3 * blocks + b]);
            f13 = Block(f13, i13, o13, xs1, d[3 * blocks + b], dm[3 * blocks + b]);
        }
        f00.Store(tile);
        f10.Store(tile + 16);
        f01.Store(tile + TileRows);
        f11.Store(tile + TileRows + 16);
        f02.Store(tile + 2 * TileRows);
        f12.Store(tile + 2 * TileRows + 16);
        f03.Store(tile + 3 * TileRows);
        f13.Store(tile + 3 * TileRows + 16);
    }

    /// <summary>One super-block's contribution for 16 activation rows: f + xs·(d·i − dmin·o).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Block(Vector512<float> f, Vector512<int> products, Vector512<int> offsets, Vector512<float> xs, float d, float dmin) =>
        Vector512.FusedMultiplyAdd(Avx512F.ConvertToVector512Single(products), xs * Vector512.Create(d),
            Vector512.FusedMultiplyAdd(Avx512F.ConvertToVector512Single(offsets), -(xs * Vector512.Create(dmin)), f));
}
