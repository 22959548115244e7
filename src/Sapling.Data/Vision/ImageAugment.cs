namespace Sapling.Data.Vision;

/// <summary>
/// Random geometric and photometric changes to training images [N, C, H, W]: rotation, scaling and translation (one
/// affine warp with bilinear sampling, zeros outside), horizontal flip, random crop after padding, and Gaussian
/// noise. Every random choice comes from the generator passed in, so a seeded loader reproduces them exactly.
/// </summary>
public sealed record ImageAugment
{
    /// <summary>Rotation drawn uniformly from ±this many degrees.</summary>
    public float RotationDegrees { get; init; }

    /// <summary>Scale factor drawn uniformly from [1 − s, 1 + s].</summary>
    public float Scale { get; init; }

    /// <summary>Shift drawn uniformly from ±this fraction of the width and height.</summary>
    public float Translate { get; init; }

    /// <summary>Probability of a horizontal mirror (leave 0 for digits and text).</summary>
    public float HorizontalFlip { get; init; }

    /// <summary>Pad by this many zero pixels and crop back to the original size at a random offset.</summary>
    public int CropPadding { get; init; }

    /// <summary>Standard deviation of added Gaussian noise.</summary>
    public float Noise { get; init; }

    /// <summary>True when every setting is 0, so <see cref="Apply"/> returns its input unchanged.</summary>
    public bool IsIdentity => RotationDegrees == 0 && Scale == 0 && Translate == 0 && HorizontalFlip == 0 && CropPadding == 0 && Noise == 0;

    /// <summary>
    /// A randomly changed copy of <paramref name="images"/> [N, C, H, W], each image with its own draws from
    /// <paramref name="g"/>; the input itself when <see cref="IsIdentity"/>. Noise is not clipped to [0, 1].
    /// </summary>
    public Tensor Apply(Tensor images, Generator g)
    {
        if (images.Rank != 4) throw new ArgumentException($"augmentation expects images [N, C, H, W], got shape {ShapeUtil.Format(images.Shape.ToArray())}");
        if (IsIdentity) return images;
        int n = images.Shape[0], c = images.Shape[1], h = images.Shape[2], w = images.Shape[3];
        var src = images.Contiguous().ToArray();
        var dst = new float[src.Length];
        int plane = h * w;
        for (int i = 0; i < n; i++)
        {
            float angle = (2 * g.NextFloat() - 1) * RotationDegrees * MathF.PI / 180f;
            float scale = 1 + (2 * g.NextFloat() - 1) * Scale;
            float tx = (2 * g.NextFloat() - 1) * Translate * w;
            float ty = (2 * g.NextFloat() - 1) * Translate * h;
            bool flip = g.NextFloat() < HorizontalFlip;
            int cropX = CropPadding > 0 ? (int)g.NextInt64(-CropPadding, CropPadding + 1) : 0;
            int cropY = CropPadding > 0 ? (int)g.NextInt64(-CropPadding, CropPadding + 1) : 0;
            // Inverse map: for each output pixel find where it came from (rotate and scale about the centre).
            float cos = MathF.Cos(angle) / scale, sin = MathF.Sin(angle) / scale;
            float cx = (w - 1) / 2f, cy = (h - 1) / 2f;
            for (int ch = 0; ch < c; ch++)
            {
                var input = src.AsSpan((i * c + ch) * plane, plane);
                var output = dst.AsSpan((i * c + ch) * plane, plane);
                for (int y = 0; y < h; y++)
                    for (int x = 0; x < w; x++)
                    {
                        float ox = (flip ? w - 1 - x : x) + cropX - cx - tx;
                        float oy = y + cropY - cy - ty;
                        float sx = cos * ox + sin * oy + cx;
                        float sy = -sin * ox + cos * oy + cy;
                        output[y * w + x] = Bilinear(input, w, h, sx, sy);
                    }
            }
        }
        if (Noise > 0)
            for (int k = 0; k < dst.Length; k++) dst[k] += Noise * (float)g.NextNormal();
        return Tensor.FromArray(dst, n, c, h, w);
    }

    private static float Bilinear(ReadOnlySpan<float> image, int w, int h, float x, float y)
    {
        int x0 = (int)MathF.Floor(x), y0 = (int)MathF.Floor(y);
        float fx = x - x0, fy = y - y0;
        return (1 - fy) * ((1 - fx) * Pixel(image, w, h, x0, y0) + fx * Pixel(image, w, h, x0 + 1, y0))
            + fy * ((1 - fx) * Pixel(image, w, h, x0, y0 + 1) + fx * Pixel(image, w, h, x0 + 1, y0 + 1));
    }

    private static float Pixel(ReadOnlySpan<float> image, int w, int h, int x, int y) => (uint)x < (uint)w && (uint)y < (uint)h ? image[y * w + x] : 0f;
}
