namespace Sapling.Vision;

/// <summary>One image component of a JPEG frame and the quantised DCT coefficients decoded for it so far.</summary>
internal sealed class JpegComponent
{
    public int Id, H, V, QuantTable;
    /// <summary>Blocks that cover the component's own samples; a non-interleaved scan visits exactly these.</summary>
    public int BlocksWide, BlocksHigh;
    /// <summary>Blocks stored: the interleaved MCU grid, which may pad past BlocksWide × BlocksHigh.</summary>
    public int StoredWide, StoredHigh;
    /// <summary>Real samples: ceil(width · H / Hmax) × ceil(height · V / Vmax).</summary>
    public int SampleWidth, SampleHeight;
    public short[] Coefficients = [];  // 64 per block, natural (not zig-zag) order
    public int[]? Quant;               // latched when the component's first scan starts, as libjpeg does
    public int DcPredictor;
    public JpegHuffman? Dc, Ac;
    public bool Scanned;
}

/// <summary>The frame header (SOF0/1/2) and the geometry derived from it.</summary>
internal sealed class JpegFrame
{
    public int Width, Height, HMax, VMax, McusWide, McusHigh;
    public bool Progressive;
    public JpegComponent[] Components = [];

    public void Allocate()
    {
        McusWide = (Width + 8 * HMax - 1) / (8 * HMax);
        McusHigh = (Height + 8 * VMax - 1) / (8 * VMax);
        foreach (var c in Components)
        {
            c.SampleWidth = (int)(((long)Width * c.H + HMax - 1) / HMax);
            c.SampleHeight = (int)(((long)Height * c.V + VMax - 1) / VMax);
            c.BlocksWide = (c.SampleWidth + 7) / 8;
            c.BlocksHigh = (c.SampleHeight + 7) / 8;
            c.StoredWide = McusWide * c.H;
            c.StoredHigh = McusHigh * c.V;
            c.Coefficients = new short[(long)c.StoredWide * c.StoredHigh * 64];
        }
    }

    /// <summary>Zig-zag position → natural (row-major) position within an 8×8 block.</summary>
    public static ReadOnlySpan<byte> ZigZag =>
    [
        0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28,
        35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
    ];
}
