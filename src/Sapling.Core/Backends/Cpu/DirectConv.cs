using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Sapling.Backends.Cpu;

/// <summary>
/// Direct convolution for AVX-512 machines: no patch matrix and no packing of the input. A register tile holds 32
/// output channels (two vectors) at up to 12 neighbouring positions of one output row; for every tap (c, ki, kj) it
/// loads the 32 weights as two vectors and broadcasts the input value each position reads, straight from the image.
/// The image is first copied once into a zero-bordered buffer, so no tap needs a bounds check.
/// </summary>
/// <remarks>
/// The implicit GEMM (<see cref="ManagedGemm.Conv2d"/>) multiplies 64 positions by 6 channels and must pack every
/// patch it reads into a strip first: for a 3×3 layer that is nine floats written per input float, 15–20% of a
/// ResNet-18 forward. Here the vectors run over output channels, whose weights are packed once per call, and the
/// positions are scalar broadcasts from the input.
/// </remarks>
internal static unsafe class DirectConv
{
    /// <summary>Output channels per register tile: two 16-lane vectors.</summary>
    private const int Block = 32;

    /// <summary>Most positions per register tile: 12 × 2 accumulators leave registers for the weights.</summary>
    private const int MaxPositions = 12;

    /// <summary>Most positions per row of a two-row tile: 2 × 7 × 2 accumulators, two weight vectors and a broadcast fill 31 of the 32 registers.</summary>
    private const int MaxPairedPositions = 7;

    /// <summary>About how many bytes of bordered images one group holds.</summary>
    private const long GroupBytes = 8L << 20;

    /// <summary>Tests pin the implicit GEMM with this to cover it on an AVX-512 machine.</summary>
    internal static bool Disabled { get; set; }

    /// <summary>Whether <see cref="Conv2d"/> serves a group of this many output channels on this machine.</summary>
    internal static bool Serves(int outChannels) =>
        !Disabled && outChannels >= Block / 2 && Avx512F.IsSupported && ManagedGemm.SelectedKernel == ManagedGemm.KernelKind.Avx512;

    /// <summary>The same contract as <see cref="ManagedGemm.Conv2d"/>.</summary>
    internal static void Conv2d(float* x, long xImageStride, in Conv2dGeometry g, float* w, int outChannels, float* y, long yImageStride, in ManagedGemm.ConvOutput after)
    {
        int depth = g.Channels * g.KernelH * g.KernelW;
        int blocks = (outChannels + Block - 1) / Block;
        int paddedH = g.Height + 2 * g.PadH, paddedW = g.Width + 2 * g.PadW;
        long paddedImage = (long)g.Channels * paddedH * paddedW;

        // Weights as [block][tap][32], zero past the last channel; tap offsets into the bordered image. Both, and the
        // bordered images, live in the calling thread's buffers, which only grow (no buffer is allocated per call).
        var buffers = ManagedGemm.PackBuffers.ForCurrentThread();
        float* packed = buffers.EnsureW(blocks * depth * Block);
        int* taps = buffers.EnsureTaps(depth);
        // Packing the weight is a transposition of [O, depth] into [block][depth][32]; in 8×8 blocks and split across
        // the workers it costs well under 1% of the convolution (element by element it was 10% of a 512-channel layer).
        nint weight = (nint)w, target = (nint)packed;
        if (blocks > 1 && !CpuWorkers.IsInsideDispatch)
            CpuWorkers.For(blocks, b => PackBlock((float*)weight, outChannels, depth, b, (float*)target));
        else
            for (int b = 0; b < blocks; b++) PackBlock(w, outChannels, depth, b, packed);
        for (int c = 0, k = 0; c < g.Channels; c++)
            for (int ki = 0; ki < g.KernelH; ki++)
                for (int kj = 0; kj < g.KernelW; kj++, k++)
                    taps[k] = (int)((long)c * paddedH * paddedW + (long)ki * g.DilationH * paddedW + kj * g.DilationW);

        // Images go through in groups whose bordered copies fit in about 8 MB, so every block of weights is used on
        // the whole group's rows before the next (with 7×7 outputs a block's 590 KB of weights would otherwise be
        // streamed once per image).
        bool bordered = g.PadH > 0 || g.PadW > 0;
        int group = bordered ? (int)Math.Clamp(GroupBytes / (paddedImage * sizeof(float)), 1, g.Batch) : g.Batch;
        float* images = bordered ? buffers.EnsureImages(checked((int)(group * paddedImage))) : null;
        int threads = CpuWorkers.IsInsideDispatch ? 1 : CpuWorkers.Threads;
        var job = Job.ForCurrentThread();
        try
        {
            for (int first = 0; first < g.Batch; first += group)
            {
                int count = Math.Min(group, g.Batch - first);
                var call = new Call(x, xImageStride, g, packed, taps, depth, blocks, outChannels, y, yImageStride, after, paddedH, paddedW,
                    bordered ? images : x + first * xImageStride, bordered ? paddedImage : xImageStride, first, count);
                if (bordered)
                {
                    job.Prepare(call, count, borderOnly: true);
                    CpuWorkers.Run(threads > 1 ? count : 1, job);
                }
                int parts = threads > 1 ? Math.Min(call.Items, 8 * threads) : 1;
                job.Prepare(call, parts, borderOnly: false);
                CpuWorkers.Run(parts, job);
            }
        }
        finally
        {
            job.Release();
        }
    }

    /// <summary>packed[b][k][v] = w[b·32 + v, k], 0 for channels past the last.</summary>
    private static void PackBlock(float* w, int outChannels, int depth, int b, float* packed)
    {
        float* dst = packed + (long)b * depth * Block;
        int full = Math.Min(Block, outChannels - b * Block) / 8 * 8;
        int k8 = Avx.IsSupported ? depth / 8 * 8 : 0;
        for (int v = 0; v < full; v += 8)
        {
            float* src = w + (long)(b * Block + v) * depth;
            for (int k = 0; k < k8; k += 8)
                ManagedGemm.Transpose8x8(src + k, depth, dst + (long)k * Block + v, Block);
            for (int r = 0; r < 8; r++)
                for (int k = k8; k < depth; k++)
                    dst[(long)k * Block + v + r] = src[(long)r * depth + k];
        }
        for (int v = full; v < Block; v++)
        {
            int o = b * Block + v;
            for (int k = 0; k < depth; k++)
                dst[(long)k * Block + v] = o < outChannels ? w[(long)o * depth + k] : 0f;
        }
    }

    /// <summary>Copies image <paramref name="local"/> of the group into its slot of the group's buffer, with a zero border of the padding's width.</summary>
    private static void Border(in Call call, int local)
    {
        ref readonly Conv2dGeometry g = ref call.Geometry;
        float* dst = call.Images + local * call.ImageStride;
        float* src = call.X + (call.First + local) * call.XImageStride;
        for (int c = 0; c < g.Channels; c++)
        {
            float* plane = dst + (long)c * call.PaddedH * call.PaddedW;
            new Span<float>(plane, g.PadH * call.PaddedW).Clear();
            for (int h = 0; h < g.Height; h++)
            {
                float* row = plane + (long)(h + g.PadH) * call.PaddedW;
                new Span<float>(row, g.PadW).Clear();
                new ReadOnlySpan<float>(src + ((long)c * g.Height + h) * g.Width, g.Width).CopyTo(new Span<float>(row + g.PadW, g.Width));
                new Span<float>(row + g.PadW + g.Width, g.PadW).Clear();
            }
            new Span<float>(plane + (long)(g.Height + g.PadH) * call.PaddedW, g.PadH * call.PaddedW).Clear();
        }
    }

    /// <summary>Positions per tile along an output row: the row split into near-equal tiles of at most 12.</summary>
    private static int TileWidth(int outWidth)
    {
        int tilesPerRow = (outWidth + MaxPositions - 1) / MaxPositions;
        return (outWidth + tilesPerRow - 1) / tilesPerRow;
    }

    /// <summary>
    /// Output rows per item: two where tiles are at most 7 wide (7×7 and 14×14 outputs), so a tile has 28 accumulators
    /// and each weight vector loaded serves twice as many positions.
    /// </summary>
    private static int RowsPerItem(in Conv2dGeometry g) => TileWidth(g.OutWidth) <= MaxPairedPositions && g.OutHeight > 1 ? 2 : 1;

    /// <summary>Items [itemStart, itemEnd) of the group: item = (block, image, output rows), block-major.</summary>
    [SkipLocalsInit]
    private static void Rows(in Call call, int itemStart, int itemEnd)
    {
        ref readonly Conv2dGeometry g = ref call.Geometry;
        // Sixteen rows per output row, so the store's 8×8 transposes may read rows past the tile's positions (lanes it
        // masks off).
        float* tile = stackalloc float[2 * 16 * Block];
        int width = TileWidth(g.OutWidth);
        int rowsPerItem = RowsPerItem(g);
        int itemsPerImage = (g.OutHeight + rowsPerItem - 1) / rowsPerItem;
        int itemsPerBlock = call.Count * itemsPerImage;
        long rowStride = (long)g.StrideH * call.PaddedW;
        for (int item = itemStart; item < itemEnd; item++)
        {
            int b = item / itemsPerBlock, rest = item - b * itemsPerBlock;
            int local = rest / itemsPerImage, oh = (rest - local * itemsPerImage) * rowsPerItem;
            bool pair = oh + 1 < g.OutHeight && rowsPerItem == 2;
            float* weights = call.Packed + (long)b * call.Depth * Block;
            float* inputRow = call.Images + local * call.ImageStride + oh * rowStride;
            for (int ow = 0; ow < g.OutWidth; ow += width)
            {
                int positions = Math.Min(width, g.OutWidth - ow);
                float* origin = inputRow + (long)ow * g.StrideW;
                if (pair)
                {
                    if (g.StrideW == 1) PairOf<Stride1>(positions, origin, rowStride, call.Taps, call.Depth, weights, tile);
                    else if (g.StrideW == 2) PairOf<Stride2>(positions, origin, rowStride, call.Taps, call.Depth, weights, tile);
                    else
                    {
                        TileOfAnyStride(positions, g.StrideW, origin, call.Taps, call.Depth, weights, tile);
                        TileOfAnyStride(positions, g.StrideW, origin + rowStride, call.Taps, call.Depth, weights, tile + 16 * Block);
                    }
                    Store(call, call.First + local, b, oh, ow, positions, tile);
                    Store(call, call.First + local, b, oh + 1, ow, positions, tile + 16 * Block);
                    continue;
                }
                if (g.StrideW == 1) TileOf<Stride1>(positions, origin, call.Taps, call.Depth, weights, tile);
                else if (g.StrideW == 2) TileOf<Stride2>(positions, origin, call.Taps, call.Depth, weights, tile);
                else TileOfAnyStride(positions, g.StrideW, origin, call.Taps, call.Depth, weights, tile);
                Store(call, call.First + local, b, oh, ow, positions, tile);
            }
        }
    }

    /// <summary>
    /// Writes a [positions × 32] tile to its channels' output rows, through the epilogue: the tile is transposed in 8×8
    /// blocks so each channel's positions are one vector, finished and stored with a mask.
    /// </summary>
    [SkipLocalsInit]
    private static void Store(in Call call, int n, int b, int oh, int ow, int positions, float* tile)
    {
        ref readonly Conv2dGeometry g = ref call.Geometry;
        ref readonly ManagedGemm.ConvOutput after = ref call.After;
        float* byChannel = stackalloc float[Block * 16];
        for (int p = 0; p < positions; p += 8)
            for (int c = 0; c < Block; c += 8)
                ManagedGemm.Transpose8x8(tile + p * Block + c, Block, byChannel + c * 16 + p, 16);
        var mask = Vector512.LessThan(Vector512.Create(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15), Vector512.Create(positions)).AsSingle();
        int plane = g.OutPlane;
        int channels = Math.Min(Block, call.OutChannels - b * Block);
        for (int v = 0; v < channels; v++)
        {
            int o = b * Block + v;
            long at = n * call.YImageStride + (long)o * plane + (long)oh * g.OutWidth + ow;
            var value = Vector512.Load(byChannel + v * 16);
            if (after.Scale != null || after.Shift != null)
                value = Vector512.FusedMultiplyAdd(value, Vector512.Create(after.Scale != null ? after.Scale[o] : 1f), Vector512.Create(after.Shift != null ? after.Shift[o] : 0f));
            if (after.Residual != null) value += Avx512F.MaskLoad(after.Residual + at, mask, Vector512<float>.Zero);
            if (after.Relu) value = Vector512.Max(value, Vector512<float>.Zero);
            Avx512F.MaskStore(call.Y + at, mask, value);
        }
    }

    private static void TileOf<TStride>(int positions, float* origin, int* taps, int depth, float* weights, float* tile)
        where TStride : struct, IStride
    {
        switch (positions)
        {
            case 1: Tile<P1, TStride>(origin, taps, depth, weights, tile); break;
            case 2: Tile<P2, TStride>(origin, taps, depth, weights, tile); break;
            case 3: Tile<P3, TStride>(origin, taps, depth, weights, tile); break;
            case 4: Tile<P4, TStride>(origin, taps, depth, weights, tile); break;
            case 5: Tile<P5, TStride>(origin, taps, depth, weights, tile); break;
            case 6: Tile<P6, TStride>(origin, taps, depth, weights, tile); break;
            case 7: Tile<P7, TStride>(origin, taps, depth, weights, tile); break;
            case 8: Tile<P8, TStride>(origin, taps, depth, weights, tile); break;
            case 9: Tile<P9, TStride>(origin, taps, depth, weights, tile); break;
            case 10: Tile<P10, TStride>(origin, taps, depth, weights, tile); break;
            case 11: Tile<P11, TStride>(origin, taps, depth, weights, tile); break;
            default: Tile<P12, TStride>(origin, taps, depth, weights, tile); break;
        }
    }

    private static void PairOf<TStride>(int positions, float* origin, long rowStride, int* taps, int depth, float* weights, float* tile)
        where TStride : struct, IStride
    {
        switch (positions)
        {
            case 1: Pair<P1, TStride>(origin, rowStride, taps, depth, weights, tile); break;
            case 2: Pair<P2, TStride>(origin, rowStride, taps, depth, weights, tile); break;
            case 3: Pair<P3, TStride>(origin, rowStride, taps, depth, weights, tile); break;
            case 4: Pair<P4, TStride>(origin, rowStride, taps, depth, weights, tile); break;
            case 5: Pair<P5, TStride>(origin, rowStride, taps, depth, weights, tile); break;
            case 6: Pair<P6, TStride>(origin, rowStride, taps, depth, weights, tile); break;
            default: Pair<P7, TStride>(origin, rowStride, taps, depth, weights, tile); break;
        }
    }

    /// <summary>
    /// <see cref="Tile{TP, TStride}"/> for two output rows at once (the second's input starts <paramref name="rowStride"/>
    /// later): rows go to tile and tile + 16·32.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Pair<TP, TStride>(float* origin, long rowStride, int* taps, int depth, float* w, float* tile)
        where TP : struct, IPositions where TStride : struct, IStride
    {
        int s = TStride.S;
        Vector512<float> a0 = default, b0 = default, a1 = default, b1 = default, a2 = default, b2 = default, a3 = default, b3 = default;
        Vector512<float> a4 = default, b4 = default, a5 = default, b5 = default, a6 = default, b6 = default;
        Vector512<float> c0 = default, d0 = default, c1 = default, d1 = default, c2 = default, d2 = default, c3 = default, d3 = default;
        Vector512<float> c4 = default, d4 = default, c5 = default, d5 = default, c6 = default, d6 = default;
        for (int k = 0; k < depth; k++, w += Block)
        {
            float* p = origin + taps[k];
            float* q = p + rowStride;
            var lo = Vector512.Load(w);
            var hi = Vector512.Load(w + 16);
            Vector512<float> x = Vector512.Create(p[0]);
            a0 = Vector512.FusedMultiplyAdd(lo, x, a0); b0 = Vector512.FusedMultiplyAdd(hi, x, b0);
            x = Vector512.Create(q[0]);
            c0 = Vector512.FusedMultiplyAdd(lo, x, c0); d0 = Vector512.FusedMultiplyAdd(hi, x, d0);
            if (TP.P > 1)
            {
                x = Vector512.Create(p[1 * s]); a1 = Vector512.FusedMultiplyAdd(lo, x, a1); b1 = Vector512.FusedMultiplyAdd(hi, x, b1);
                x = Vector512.Create(q[1 * s]); c1 = Vector512.FusedMultiplyAdd(lo, x, c1); d1 = Vector512.FusedMultiplyAdd(hi, x, d1);
            }
            if (TP.P > 2)
            {
                x = Vector512.Create(p[2 * s]); a2 = Vector512.FusedMultiplyAdd(lo, x, a2); b2 = Vector512.FusedMultiplyAdd(hi, x, b2);
                x = Vector512.Create(q[2 * s]); c2 = Vector512.FusedMultiplyAdd(lo, x, c2); d2 = Vector512.FusedMultiplyAdd(hi, x, d2);
            }
            if (TP.P > 3)
            {
                x = Vector512.Create(p[3 * s]); a3 = Vector512.FusedMultiplyAdd(lo, x, a3); b3 = Vector512.FusedMultiplyAdd(hi, x, b3);
                x = Vector512.Create(q[3 * s]); c3 = Vector512.FusedMultiplyAdd(lo, x, c3); d3 = Vector512.FusedMultiplyAdd(hi, x, d3);
            }
            if (TP.P > 4)
            {
                x = Vector512.Create(p[4 * s]); a4 = Vector512.FusedMultiplyAdd(lo, x, a4); b4 = Vector512.FusedMultiplyAdd(hi, x, b4);
                x = Vector512.Create(q[4 * s]); c4 = Vector512.FusedMultiplyAdd(lo, x, c4); d4 = Vector512.FusedMultiplyAdd(hi, x, d4);
            }
            if (TP.P > 5)
            {
                x = Vector512.Create(p[5 * s]); a5 = Vector512.FusedMultiplyAdd(lo, x, a5); b5 = Vector512.FusedMultiplyAdd(hi, x, b5);
                x = Vector512.Create(q[5 * s]); c5 = Vector512.FusedMultiplyAdd(lo, x, c5); d5 = Vector512.FusedMultiplyAdd(hi, x, d5);
            }
            if (TP.P > 6)
            {
                x = Vector512.Create(p[6 * s]); a6 = Vector512.FusedMultiplyAdd(lo, x, a6); b6 = Vector512.FusedMultiplyAdd(hi, x, b6);
                x = Vector512.Create(q[6 * s]); c6 = Vector512.FusedMultiplyAdd(lo, x, c6); d6 = Vector512.FusedMultiplyAdd(hi, x, d6);
            }
        }
        float* second = tile + 16 * Block;
        a0.Store(tile); b0.Store(tile + 16); c0.Store(second); d0.Store(second + 16);
        if (TP.P > 1) { a1.Store(tile + 1 * Block); b1.Store(tile + 1 * Block + 16); c1.Store(second + 1 * Block); d1.Store(second + 1 * Block + 16); }
        if (TP.P > 2) { a2.Store(tile + 2 * Block); b2.Store(tile + 2 * Block + 16); c2.Store(second + 2 * Block); d2.Store(second + 2 * Block + 16); }
        if (TP.P > 3) { a3.Store(tile + 3 * Block); b3.Store(tile + 3 * Block + 16); c3.Store(second + 3 * Block); d3.Store(second + 3 * Block + 16); }
        if (TP.P > 4) { a4.Store(tile + 4 * Block); b4.Store(tile + 4 * Block + 16); c4.Store(second + 4 * Block); d4.Store(second + 4 * Block + 16); }
        if (TP.P > 5) { a5.Store(tile + 5 * Block); b5.Store(tile + 5 * Block + 16); c5.Store(second + 5 * Block); d5.Store(second + 5 * Block + 16); }
        if (TP.P > 6) { a6.Store(tile + 6 * Block); b6.Store(tile + 6 * Block + 16); c6.Store(second + 6 * Block); d6.Store(second + 6 * Block + 16); }
    }

    /// <summary>Strides other than 1 and 2: one position at a time.</summary>
    private static void TileOfAnyStride(int positions, int stride, float* origin, int* taps, int depth, float* weights, float* tile)
    {
        for (int r = 0; r < positions; r++)
        {
            var a = Vector512<float>.Zero;
            var b = Vector512<float>.Zero;
            float* w = weights;
            float* at = origin + (long)r * stride;
            for (int k = 0; k < depth; k++, w += Block)
            {
                var x = Vector512.Create(at[taps[k]]);
                a = Vector512.FusedMultiplyAdd(Vector512.Load(w), x, a);
                b = Vector512.FusedMultiplyAdd(Vector512.Load(w + 16), x, b);
            }
            a.Store(tile + r * Block);
            b.Store(tile + r * Block + 16);
        }
    }

    /// <summary>
    /// tile[r, v] = Σ_k weights[k, v]·origin[taps[k] + r·stride] for r &lt; P and the 32 channels v: 2·P accumulators,
    /// specialised per P and stride so every branch on them folds away.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile<TP, TStride>(float* origin, int* taps, int depth, float* w, float* tile)
        where TP : struct, IPositions where TStride : struct, IStride
    {
        int s = TStride.S;
        Vector512<float> a0 = default, b0 = default, a1 = default, b1 = default, a2 = default, b2 = default;
        Vector512<float> a3 = default, b3 = default, a4 = default, b4 = default, a5 = default, b5 = default;
        Vector512<float> a6 = default, b6 = default, a7 = default, b7 = default, a8 = default, b8 = default;
        Vector512<float> a9 = default, b9 = default, a10 = default, b10 = default, a11 = default, b11 = default;
        for (int k = 0; k < depth; k++, w += Block)
        {
            float* p = origin + taps[k];
            var lo = Vector512.Load(w);
            var hi = Vector512.Load(w + 16);
            Vector512<float> x = Vector512.Create(p[0]);
            a0 = Vector512.FusedMultiplyAdd(lo, x, a0); b0 = Vector512.FusedMultiplyAdd(hi, x, b0);
            if (TP.P > 1) { x = Vector512.Create(p[1 * s]); a1 = Vector512.FusedMultiplyAdd(lo, x, a1); b1 = Vector512.FusedMultiplyAdd(hi, x, b1); }
            if (TP.P > 2) { x = Vector512.Create(p[2 * s]); a2 = Vector512.FusedMultiplyAdd(lo, x, a2); b2 = Vector512.FusedMultiplyAdd(hi, x, b2); }
            if (TP.P > 3) { x = Vector512.Create(p[3 * s]); a3 = Vector512.FusedMultiplyAdd(lo, x, a3); b3 = Vector512.FusedMultiplyAdd(hi, x, b3); }
            if (TP.P > 4) { x = Vector512.Create(p[4 * s]); a4 = Vector512.FusedMultiplyAdd(lo, x, a4); b4 = Vector512.FusedMultiplyAdd(hi, x, b4); }
            if (TP.P > 5) { x = Vector512.Create(p[5 * s]); a5 = Vector512.FusedMultiplyAdd(lo, x, a5); b5 = Vector512.FusedMultiplyAdd(hi, x, b5); }
            if (TP.P > 6) { x = Vector512.Create(p[6 * s]); a6 = Vector512.FusedMultiplyAdd(lo, x, a6); b6 = Vector512.FusedMultiplyAdd(hi, x, b6); }
            if (TP.P > 7) { x = Vector512.Create(p[7 * s]); a7 = Vector512.FusedMultiplyAdd(lo, x, a7); b7 = Vector512.FusedMultiplyAdd(hi, x, b7); }
            if (TP.P > 8) { x = Vector512.Create(p[8 * s]); a8 = Vector512.FusedMultiplyAdd(lo, x, a8); b8 = Vector512.FusedMultiplyAdd(hi, x, b8); }
            if (TP.P > 9) { x = Vector512.Create(p[9 * s]); a9 = Vector512.FusedMultiplyAdd(lo, x, a9); b9 = Vector512.FusedMultiplyAdd(hi, x, b9); }
            if (TP.P > 10) { x = Vector512.Create(p[10 * s]); a10 = Vector512.FusedMultiplyAdd(lo, x, a10); b10 = Vector512.FusedMultiplyAdd(hi, x, b10); }
            if (TP.P > 11) { x = Vector512.Create(p[11 * s]); a11 = Vector512.FusedMultiplyAdd(lo, x, a11); b11 = Vector512.FusedMultiplyAdd(hi, x, b11); }
        }
        a0.Store(tile); b0.Store(tile + 16);
        if (TP.P > 1) { a1.Store(tile + 1 * Block); b1.Store(tile + 1 * Block + 16); }
        if (TP.P > 2) { a2.Store(tile + 2 * Block); b2.Store(tile + 2 * Block + 16); }
        if (TP.P > 3) { a3.Store(tile + 3 * Block); b3.Store(tile + 3 * Block + 16); }
        if (TP.P > 4) { a4.Store(tile + 4 * Block); b4.Store(tile + 4 * Block + 16); }
        if (TP.P > 5) { a5.Store(tile + 5 * Block); b5.Store(tile + 5 * Block + 16); }
        if (TP.P > 6) { a6.Store(tile + 6 * Block); b6.Store(tile + 6 * Block + 16); }
        if (TP.P > 7) { a7.Store(tile + 7 * Block); b7.Store(tile + 7 * Block + 16); }
        if (TP.P > 8) { a8.Store(tile + 8 * Block); b8.Store(tile + 8 * Block + 16); }
        if (TP.P > 9) { a9.Store(tile + 9 * Block); b9.Store(tile + 9 * Block + 16); }
        if (TP.P > 10) { a10.Store(tile + 10 * Block); b10.Store(tile + 10 * Block + 16); }
        if (TP.P > 11) { a11.Store(tile + 11 * Block); b11.Store(tile + 11 * Block + 16); }
    }

    private interface IPositions { static abstract int P { get; } }
    private struct P1 : IPositions { public static int P => 1; }
    private struct P2 : IPositions { public static int P => 2; }
    private struct P3 : IPositions { public static int P => 3; }
    private struct P4 : IPositions { public static int P => 4; }
    private struct P5 : IPositions { public static int P => 5; }
    private struct P6 : IPositions { public static int P => 6; }
    private struct P7 : IPositions { public static int P => 7; }
    private struct P8 : IPositions { public static int P => 8; }
    private struct P9 : IPositions { public static int P => 9; }
    private struct P10 : IPositions { public static int P => 10; }
    private struct P11 : IPositions { public static int P => 11; }
    private struct P12 : IPositions { public static int P => 12; }

    private interface IStride { static abstract int S { get; } }
    private struct Stride1 : IStride { public static int S => 1; }
    private struct Stride2 : IStride { public static int S => 2; }

    private readonly struct Call(float* x, long xImageStride, Conv2dGeometry g, float* packed, int* taps, int depth, int blocks, int outChannels,
        float* y, long yImageStride, ManagedGemm.ConvOutput after, int paddedH, int paddedW, float* images, long imageStride, int first, int count)
    {
        public readonly float* X = x;
        public readonly long XImageStride = xImageStride;
        public readonly Conv2dGeometry Geometry = g;
        public readonly float* Packed = packed;
        public readonly int* Taps = taps;
        public readonly int Depth = depth;
        public readonly int Blocks = blocks;
        public readonly int OutChannels = outChannels;
        public readonly float* Y = y;
        public readonly long YImageStride = yImageStride;
        public readonly ManagedGemm.ConvOutput After = after;
        public readonly int PaddedH = paddedH;
        public readonly int PaddedW = paddedW;

        /// <summary>The group's images as the taps read them: bordered copies, or the input itself when there is no padding.</summary>
        public readonly float* Images = images;
        public readonly long ImageStride = imageStride;
        public readonly int First = first;
        public readonly int Count = count;
        public int Items => Blocks * Count * ((Geometry.OutHeight + RowsPerItem(Geometry) - 1) / RowsPerItem(Geometry));
    }

    /// <summary>Borders the group's images (a part per image), or computes a share of its items. Cached per calling thread.</summary>
    private sealed class Job : IParallelWork
    {
        [ThreadStatic] private static Job? t_cached;
        private Call _call;
        private int _parts;
        private bool _borderOnly;

        public static Job ForCurrentThread() => t_cached ??= new Job();

        public void Prepare(in Call call, int parts, bool borderOnly)
        {
            _call = call;
            _parts = parts;
            _borderOnly = borderOnly;
        }

        public void Release() => _call = default;

        public void Run(int part)
        {
            if (_borderOnly)
            {
                int images = _call.Count;
                for (int local = (int)((long)images * part / _parts), end = (int)((long)images * (part + 1) / _parts); local < end; local++)
                    Border(_call, local);
                return;
            }
            int items = _call.Items;
            Rows(_call, (int)((long)items * part / _parts), (int)((long)items * (part + 1) / _parts));
        }
    }
}
