using SkiaSharp;

namespace Sapling.Data.Vision.Codecs;

/// <summary>Turns an image stored sideways or mirrored upright, as its EXIF orientation tag says (PIL's <c>exif_transpose</c>).</summary>
internal static class ExifOrientation
{
    public static Image Apply(Image image, SKEncodedOrigin origin)
    {
        if (origin is SKEncodedOrigin.TopLeft or < SKEncodedOrigin.TopLeft or > SKEncodedOrigin.LeftBottom) return image;
        int w = image.Width, h = image.Height, c = image.Channels;
        bool swaps = origin >= SKEncodedOrigin.LeftTop;
        int outW = swaps ? h : w, outH = swaps ? w : h;
        var src = image.Pixels;
        var dst = new byte[src.LongLength];
        for (int y = 0; y < outH; y++)
        {
            for (int x = 0; x < outW; x++)
            {
                // The stored pixel that lands at (x, y) of the upright image.
                var (sx, sy) = origin switch
                {
                    SKEncodedOrigin.TopRight => (w - 1 - x, y),           // mirrored left-right
                    SKEncodedOrigin.BottomRight => (w - 1 - x, h - 1 - y), // turned 180°
                    SKEncodedOrigin.BottomLeft => (x, h - 1 - y),          // mirrored top-bottom
                    SKEncodedOrigin.LeftTop => (y, x),                     // transposed
                    SKEncodedOrigin.RightTop => (y, h - 1 - x),            // stored turned 90° anticlockwise
                    SKEncodedOrigin.RightBottom => (w - 1 - y, h - 1 - x), // transverse
                    _ => (w - 1 - y, x),                                   // LeftBottom: stored turned 90° clockwise
                };
                src.AsSpan((int)(((long)sy * w + sx) * c), c).CopyTo(dst.AsSpan((int)(((long)y * outW + x) * c), c));
            }
        }
        return new Image(outW, outH, c, dst);
    }
}
