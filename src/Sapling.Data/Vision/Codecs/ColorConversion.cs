namespace Sapling.Data.Vision.Codecs;

/// <summary>Channel conversions between grey, grey+alpha, RGB and RGBA, matching PIL's <c>Image.convert</c>.</summary>
internal static class ColorConversion
{
    public static Image Convert(Image image, ColorMode mode)
    {
        int from = image.Channels;
        int to = mode switch
        {
            ColorMode.Gray => 1,
            ColorMode.Rgb => 3,
            ColorMode.Rgba => 4,
            _ => from switch { 2 => 1, 4 => 3, _ => from },
        };
        if (to == from) return image;
        var src = image.Pixels;
        var dst = new byte[(long)image.Width * image.Height * to];
        long count = (long)image.Width * image.Height;
        switch (from, to)
        {
            case (1, 3): for (long i = 0; i < count; i++) dst[3 * i] = dst[3 * i + 1] = dst[3 * i + 2] = src[i]; break;
            case (1, 4): for (long i = 0; i < count; i++) { dst[4 * i] = dst[4 * i + 1] = dst[4 * i + 2] = src[i]; dst[4 * i + 3] = 255; } break;
            case (2, 1): for (long i = 0; i < count; i++) dst[i] = src[2 * i]; break;
            case (2, 3): for (long i = 0; i < count; i++) dst[3 * i] = dst[3 * i + 1] = dst[3 * i + 2] = src[2 * i]; break;
            case (2, 4): for (long i = 0; i < count; i++) { dst[4 * i] = dst[4 * i + 1] = dst[4 * i + 2] = src[2 * i]; dst[4 * i + 3] = src[2 * i + 1]; } break;
            case (3, 1): for (long i = 0; i < count; i++) dst[i] = Luma(src[3 * i], src[3 * i + 1], src[3 * i + 2]); break;
            case (3, 4): for (long i = 0; i < count; i++) { dst[4 * i] = src[3 * i]; dst[4 * i + 1] = src[3 * i + 1]; dst[4 * i + 2] = src[3 * i + 2]; dst[4 * i + 3] = 255; } break;
            case (4, 1): for (long i = 0; i < count; i++) dst[i] = Luma(src[4 * i], src[4 * i + 1], src[4 * i + 2]); break;
            case (4, 3): for (long i = 0; i < count; i++) { dst[3 * i] = src[4 * i]; dst[3 * i + 1] = src[4 * i + 1]; dst[3 * i + 2] = src[4 * i + 2]; } break;
            default: throw new InvalidOperationException($"no conversion from {from} to {to} channels");
        }
        return new Image(image.Width, image.Height, to, dst);
    }

    /// <summary>PIL's L24: the same fixed-point rounding, so grey images match PIL byte for byte.</summary>
    internal static byte Luma(byte r, byte g, byte b) => (byte)((r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16);
}
