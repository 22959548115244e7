namespace Sapling.Vision;

/// <summary>Brings a subsampled JPEG component to full size the way libjpeg-turbo does by default (do_fancy_upsampling):
/// "fancy" triangular interpolation for 2×1 (4:2:2), 2×2 (4:2:0) and 1×2 (4:4:0), plain replication for every other
/// integral ratio (4:1:1 among them) and, in the horizontal cases, for components 2 samples wide or less (jdsample.c's rules).</summary>
internal static class JpegUpsampler
{
    /// <param name="src">Component samples, <paramref name="stride"/> bytes a row; only the first dw × dh are real, the rest is block padding.</param>
    /// <param name="hRatio">Horizontal ratio of the widest component to this one.</param>
    /// <param name="dst">Full-size output, <paramref name="width"/> × <paramref name="height"/>.</param>
    public static void Upsample(byte[] src, int stride, int dw, int dh, int hRatio, int vRatio, byte[] dst, int width, int height)
    {
        bool fancy = dw > 2;
        if (hRatio == 1 && vRatio == 1) Copy(src, stride, dst, width, height);
        else if (fancy && hRatio == 2 && vRatio == 1) H2V1(src, stride, dw, dst, width, height);
        else if (fancy && hRatio == 2 && vRatio == 2) H2V2(src, stride, dw, dh, dst, width, height);
        else if (hRatio == 1 && vRatio == 2) H1V2(src, stride, dh, dst, width, height);
        else Replicate(src, stride, hRatio, vRatio, dst, width, height);
    }

    private static void Copy(byte[] src, int stride, byte[] dst, int width, int height)
    {
        for (int y = 0; y < height; y++) Array.Copy(src, y * stride, dst, y * width, width);
    }

    private static void Replicate(byte[] src, int stride, int hRatio, int vRatio, byte[] dst, int width, int height)
    {
        for (int y = 0; y < height; y++)
        {
            int s = y / vRatio * stride, o = y * width;
            for (int x = 0; x < width; x++) dst[o + x] = src[s + x / hRatio];
        }
    }

    /// <summary>Each output sample is ¾ of the nearer input and ¼ of the further; the last column repeats, as in jdsample.c.
    /// The rounding bias alternates (1, 2) so errors do not drift one way.</summary>
    private static void H2V1(byte[] src, int stride, int dw, byte[] dst, int width, int height)
    {
        for (int y = 0; y < height; y++)
        {
            int s = y * stride, o = y * width;
            for (int x = 0; x < width; x++)
            {
                int i = x >> 1;
                int near = src[s + i] * 3;
                int far = (x & 1) == 0 ? src[s + Math.Max(i - 1, 0)] : src[s + Math.Min(i + 1, dw - 1)];
                dst[o + x] = (byte)((near + far + 1 + (x & 1)) >> 2);
            }
        }
    }

    /// <summary>Triangular in both directions: column sums 3·near row + far row, then 3·near sum + far sum, /16 with biases 8 and 7.
    /// Rows above the top and below row dh − 1 repeat the edge row, as libjpeg's context rows do.</summary>
    private static void H2V2(byte[] src, int stride, int dw, int dh, byte[] dst, int width, int height)
    {
        for (int y = 0; y < height; y++)
        {
            int i = y >> 1;
            int farRow = (y & 1) == 0 ? Math.Max(i - 1, 0) : Math.Min(i + 1, dh - 1);
            int n = i * stride, f = farRow * stride, o = y * width;
            for (int x = 0; x < width; x++)
            {
                int j = x >> 1;
                int farCol = (x & 1) == 0 ? Math.Max(j - 1, 0) : Math.Min(j + 1, dw - 1);
                int thisSum = src[n + j] * 3 + src[f + j];
                int otherSum = src[n + farCol] * 3 + src[f + farCol];
                dst[o + x] = (byte)((thisSum * 3 + otherSum + 8 - (x & 1)) >> 4);
            }
        }
    }

    private static void H1V2(byte[] src, int stride, int dh, byte[] dst, int width, int height)
    {
        for (int y = 0; y < height; y++)
        {
            int i = y >> 1;
            int farRow = (y & 1) == 0 ? Math.Max(i - 1, 0) : Math.Min(i + 1, dh - 1);
            int n = i * stride, f = farRow * stride, o = y * width, bias = 1 + (y & 1);
            for (int x = 0; x < width; x++) dst[o + x] = (byte)((src[n + x] * 3 + src[f + x] + bias) >> 2);
        }
    }
}
