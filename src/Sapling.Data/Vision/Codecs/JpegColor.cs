namespace Sapling.Vision;

/// <summary>JFIF YCbCr → RGB (R = Y + 1.402 Cr', G = Y − 0.34414 Cb' − 0.71414 Cr', B = Y + 1.772 Cb') in libjpeg's
/// 16-bit fixed point (jdcolor.c), so results round exactly as libjpeg's do.</summary>
internal static class JpegColor
{
    private const int ScaleBits = 16;
    private const int Half = 1 << (ScaleBits - 1);
    private static readonly int[] CrR = new int[256], CbB = new int[256], CrG = new int[256], CbG = new int[256];

    static JpegColor()
    {
        for (int i = 0; i < 256; i++)
        {
            int x = i - 128;
            CrR[i] = (Fix(1.40200) * x + Half) >> ScaleBits;
            CbB[i] = (Fix(1.77200) * x + Half) >> ScaleBits;
            CrG[i] = -Fix(0.71414) * x;
            CbG[i] = -Fix(0.34414) * x + Half;
        }
    }

    private static int Fix(double v) => (int)(v * (1 << ScaleBits) + 0.5);

    public static void YCbCrToRgb(byte[] y, byte[] cb, byte[] cr, byte[] rgb)
    {
        for (int i = 0, o = 0; i < y.Length; i++, o += 3)
        {
            int luma = y[i], b = cb[i], r = cr[i];
            rgb[o] = Clamp(luma + CrR[r]);
            rgb[o + 1] = Clamp(luma + ((CbG[b] + CrG[r]) >> ScaleBits));
            rgb[o + 2] = Clamp(luma + CbB[b]);
        }
    }

    public static void Interleave(byte[] r, byte[] g, byte[] b, byte[] rgb)
    {
        for (int i = 0, o = 0; i < r.Length; i++, o += 3)
        {
            rgb[o] = r[i];
            rgb[o + 1] = g[i];
            rgb[o + 2] = b[i];
        }
    }

    private static byte Clamp(int v) => (byte)(v < 0 ? 0 : v > 255 ? 255 : v);
}
