namespace Sapling.Vision;

/// <summary>Turns one reconstructed PNG row (packed samples at the file's bit depth) into 8-bit output pixels.</summary>
internal sealed class PngRowExpander(int colorType, int bitDepth, int outChannels, byte[]? palette, byte[]? paletteAlpha, int[]? key)
{
    // Palettes index up to 2^depth entries; missing entries are black and opaque, as libpng and PIL treat them.
    private readonly byte[] _rgb = PadPalette(palette, 3, 0);
    private readonly byte[] _alpha = PadPalette(paletteAlpha, 1, 255);

    /// <summary>Writes <paramref name="count"/> pixels of <paramref name="row"/> to <paramref name="dst"/> from <paramref name="start"/>, one every <paramref name="step"/> bytes.</summary>
    public void Expand(ReadOnlySpan<byte> row, int count, byte[] dst, long start, int step)
    {
        long o = start;
        switch (colorType)
        {
            case 0:
                for (int x = 0; x < count; x++, o += step)
                {
                    int v = Sample(row, x);
                    dst[o] = To8(v);
                    if (key != null) dst[o + 1] = v == key[0] ? (byte)0 : (byte)255;
                }
                break;
            case 3:
                for (int x = 0; x < count; x++, o += step)
                {
                    int i = Sample(row, x);
                    dst[o] = _rgb[3 * i];
                    dst[o + 1] = _rgb[3 * i + 1];
                    dst[o + 2] = _rgb[3 * i + 2];
                    if (outChannels == 4) dst[o + 3] = _alpha[i];
                }
                break;
            case 2:
                for (int x = 0; x < count; x++, o += step)
                {
                    int r = Sample(row, 3 * x), g = Sample(row, 3 * x + 1), b = Sample(row, 3 * x + 2);
                    dst[o] = To8(r);
                    dst[o + 1] = To8(g);
                    dst[o + 2] = To8(b);
                    if (key != null) dst[o + 3] = r == key[0] && g == key[1] && b == key[2] ? (byte)0 : (byte)255;
                }
                break;
            default: // 4 (grey + alpha) and 6 (RGBA): samples map one to one
                int samples = colorType == 4 ? 2 : 4;
                for (int x = 0; x < count; x++, o += step)
                    for (int c = 0; c < samples; c++) dst[o + c] = To8(Sample(row, samples * x + c));
                break;
        }
    }

    /// <summary>Sample <paramref name="i"/> of the row at the file's bit depth, unscaled.</summary>
    private int Sample(ReadOnlySpan<byte> row, int i) => bitDepth switch
    {
        8 => row[i],
        16 => (row[2 * i] << 8) | row[2 * i + 1],
        _ => (row[i * bitDepth >> 3] >> (8 - bitDepth - (i * bitDepth & 7))) & ((1 << bitDepth) - 1),
    };

    private byte To8(int v) => bitDepth switch
    {
        8 => (byte)v,
        16 => (byte)(v >> 8),
        4 => (byte)(v * 0x11),
        2 => (byte)(v * 0x55),
        _ => (byte)(v * 0xFF),
    };

    private static byte[] PadPalette(byte[]? entries, int width, byte fill)
    {
        var padded = new byte[256 * width];
        padded.AsSpan().Fill(fill);
        entries?.CopyTo(padded, 0);
        return padded;
    }
}
