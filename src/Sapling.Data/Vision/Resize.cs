using System.Buffers;

namespace Sapling.Data.Vision;

/// <summary>
/// Bilinear resizing as PIL's <c>Image.resize(BILINEAR)</c> and torchvision's <c>Resize(antialias=True)</c> do it: a
/// triangle filter on half-pixel centres whose support widens with the scale when shrinking, so a 1,000-pixel photo
/// brought to 224 averages every source pixel instead of sampling one in four. Enlarging is plain bilinear
/// interpolation (align_corners=False).
/// </summary>
public static class Resize
{
    /// <summary>Writes the image resized to <paramref name="height"/>×<paramref name="width"/> as CHW floats in [0, 1].</summary>
    public static void BilinearChw(Image image, int height, int width, Span<float> destination) =>
        Resample(image, height, width, 0, 0, height, width, destination);

    /// <summary>A model's input from an image: stretched to height × width when <paramref name="resizeShorterSide"/> is 0,
    /// else scaled to that shorter side and centre-cropped (<see cref="ShorterSideCenterCropChw"/>).</summary>
    public static void ToModelInputChw(Image image, int height, int width, int resizeShorterSide, Span<float> destination)
    {
        if (resizeShorterSide == 0) BilinearChw(image, height, width, destination);
        else ShorterSideCenterCropChw(image, resizeShorterSide, height, width, destination);
    }

    /// <summary>
    /// ImageNet evaluation preprocessing (torchvision's <c>Resize(shorterSide)</c> then <c>CenterCrop</c>): the image is
    /// scaled, keeping its aspect ratio, until its shorter side is <paramref name="shorterSide"/>, and the centre
    /// <paramref name="height"/>×<paramref name="width"/> is kept, as CHW floats in [0, 1]. Only the kept window is computed.
    /// </summary>
    public static void ShorterSideCenterCropChw(Image image, int shorterSide, int height, int width, Span<float> destination)
    {
        if (shorterSide < 1) throw new ArgumentOutOfRangeException(nameof(shorterSide), $"resize: shorter side must be positive, got {shorterSide}");
        // torchvision: the long side is truncated, int(short_target * long / short).
        int resizedH, resizedW;
        if (image.Width <= image.Height) (resizedW, resizedH) = (shorterSide, (int)((long)shorterSide * image.Height / image.Width));
        else (resizedH, resizedW) = (shorterSide, (int)((long)shorterSide * image.Width / image.Height));
        if (resizedH < height || resizedW < width)
            throw new ArgumentException($"resize: a {image.Width}×{image.Height} image scaled to shorter side {shorterSide} is {resizedW}×{resizedH}, smaller than the {width}×{height} crop");
        // torchvision's CenterCrop rounds the offsets half to even (Python's round).
        int top = (int)Math.Round((resizedH - height) / 2.0, MidpointRounding.ToEven);
        int left = (int)Math.Round((resizedW - width) / 2.0, MidpointRounding.ToEven);
        Resample(image, resizedH, resizedW, top, left, height, width, destination);
    }

    /// <summary>The window [top, top + height) × [left, left + width) of the image resized to resizedH × resizedW.</summary>
    private static void Resample(Image image, int resizedH, int resizedW, int top, int left, int height, int width, Span<float> destination)
    {
        int c = image.Channels, h = image.Height, w = image.Width;
        if (height < 1 || width < 1) throw new ArgumentException($"resize: target size {height}×{width} must be positive");
        if (destination.Length != c * height * width)
            throw new ArgumentException($"resize: destination holds {destination.Length} values, {c}×{height}×{width} needed");
        var cols = Taps.For(w, resizedW, left, width);
        var rows = Taps.For(h, resizedH, top, height);
        // Horizontal pass over only the source rows the kept window reads, then vertical.
        int firstRow = rows.Start[0], lastRow = rows.Start[height - 1] + rows.Count[height - 1];
        int span = lastRow - firstRow;
        var across = ArrayPool<float>.Shared.Rent(span * width * c);
        try
        {
            var px = image.Pixels;
            for (int y = 0; y < span; y++)
            {
                long rowBase = (long)(firstRow + y) * w * c;
                var row = px.AsSpan((int)rowBase, w * c);
                var outRow = across.AsSpan(y * width * c, width * c);
                for (int x = 0; x < width; x++)
                {
                    int start = cols.Start[x], count = cols.Count[x];
                    var weights = cols.Weights.AsSpan(x * cols.MaxTaps, count);
                    if (c == 3)
                    {
                        // RGB together: one pass over the taps instead of three.
                        var taps = row.Slice(start * 3, count * 3);
                        float r = 0, g = 0, b = 0;
                        for (int k = 0; k < weights.Length; k++)
                        {
                            float wk = weights[k];
                            r += wk * taps[3 * k];
                            g += wk * taps[3 * k + 1];
                            b += wk * taps[3 * k + 2];
                        }
                        outRow[3 * x] = r;
                        outRow[3 * x + 1] = g;
                        outRow[3 * x + 2] = b;
                        continue;
                    }
                    for (int ch = 0; ch < c; ch++)
                    {
                        float sum = 0;
                        for (int k = 0, p = start * c + ch; k < weights.Length; k++, p += c) sum += weights[k] * row[p];
                        outRow[x * c + ch] = sum;
                    }
                }
            }
            const float toUnit = 1f / 255f;
            for (int y = 0; y < height; y++)
            {
                int start = rows.Start[y] - firstRow, count = rows.Count[y], wBase = y * rows.MaxTaps;
                for (int x = 0; x < width; x++)
                {
                    for (int ch = 0; ch < c; ch++)
                    {
                        float sum = 0;
                        int p = (start * width + x) * c + ch;
                        for (int k = 0; k < count; k++, p += width * c) sum += rows.Weights[wBase + k] * across[p];
                        destination[(ch * height + y) * width + x] = Math.Clamp(sum, 0f, 255f) * toUnit;
                    }
                }
            }
        }
        finally { ArrayPool<float>.Shared.Return(across); }
    }

    /// <summary>The source pixels and normalised triangle weights of each output pixel along one axis (PIL's precompute_coeffs).</summary>
    private sealed class Taps
    {
        public required int[] Start { get; init; }
        public required int[] Count { get; init; }
        public required float[] Weights { get; init; }
        public required int MaxTaps { get; init; }

        public static Taps For(int inSize, int outSize, int offset, int length)
        {
            double scale = (double)inSize / outSize;
            double filterScale = Math.Max(scale, 1.0);
            double support = filterScale; // the triangle's radius is 1 output pixel
            int maxTaps = (int)Math.Ceiling(support) * 2 + 1;
            var start = new int[length];
            var count = new int[length];
            var weights = new float[length * maxTaps];
            Span<double> ww = stackalloc double[maxTaps];
            for (int i = 0; i < length; i++)
            {
                double center = (offset + i + 0.5) * scale;
                int lo = Math.Max(0, (int)(center - support + 0.5));
                int hi = Math.Min(inSize, (int)(center + support + 0.5));
                int n = hi - lo;
                double total = 0;
                for (int k = 0; k < n; k++)
                {
                    double t = Math.Abs((lo + k - center + 0.5) / filterScale);
                    ww[k] = t < 1 ? 1 - t : 0;
                    total += ww[k];
                }
                for (int k = 0; k < n; k++) weights[i * maxTaps + k] = total > 0 ? (float)(ww[k] / total) : 0f;
                start[i] = lo;
                count[i] = n;
            }
            return new Taps { Start = start, Count = count, Weights = weights, MaxTaps = maxTaps };
        }
    }
}
