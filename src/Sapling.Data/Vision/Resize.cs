namespace Sapling.Vision;

/// <summary>Bilinear resizing with half-pixel centres (align_corners=False), the convention of PyTorch and PIL.</summary>
public static class Resize
{
    /// <summary>Writes the image resized to <paramref name="height"/>×<paramref name="width"/> as CHW floats in [0, 1].</summary>
    public static void BilinearChw(Image image, int height, int width, Span<float> destination)
    {
        int c = image.Channels, h = image.Height, w = image.Width;
        if (destination.Length != c * height * width)
            throw new ArgumentException($"resize: destination holds {destination.Length} values, {c}×{height}×{width} needed");
        float scaleY = (float)h / height, scaleX = (float)w / width;
        var px = image.Pixels;
        for (int y = 0; y < height; y++)
        {
            float sy = Math.Clamp((y + 0.5f) * scaleY - 0.5f, 0, h - 1);
            int y0 = (int)sy, y1 = Math.Min(y0 + 1, h - 1);
            float fy = sy - y0;
            for (int x = 0; x < width; x++)
            {
                float sx = Math.Clamp((x + 0.5f) * scaleX - 0.5f, 0, w - 1);
                int x0 = (int)sx, x1 = Math.Min(x0 + 1, w - 1);
                float fx = sx - x0;
                for (int ch = 0; ch < c; ch++)
                {
                    float top = (1 - fx) * px[(y0 * w + x0) * c + ch] + fx * px[(y0 * w + x1) * c + ch];
                    float bottom = (1 - fx) * px[(y1 * w + x0) * c + ch] + fx * px[(y1 * w + x1) * c + ch];
                    destination[(ch * height + y) * width + x] = ((1 - fy) * top + fy * bottom) / 255f;
                }
            }
        }
    }
}
