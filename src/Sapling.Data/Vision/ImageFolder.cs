using Sapling.Data;

namespace Sapling.Vision;

/// <summary>What to do with a file that cannot be decoded.</summary>
public enum UnreadableImages
{
    /// <summary>Leave the file out and list it in <see cref="ImageFolder.Skipped"/>.</summary>
    Skip,

    /// <summary>Stop with an error naming the file.</summary>
    Fail,
}

/// <summary>
/// A labelled image set laid out as <c>root/&lt;class&gt;/&lt;file&gt;</c> (PNG, JPEG, PGM/PPM), decoded, converted
/// to gray or RGB, resized to one size with bilinear filtering and held in memory as [N, C, H, W] floats in [0, 1].
/// Classes are the sub-folder names in ordinal order, as torchvision's ImageFolder numbers them.
/// </summary>
public sealed class ImageFolder
{
    private static readonly string[] Extensions = [".png", ".jpg", ".jpeg", ".pgm", ".ppm", ".pnm"];

    private ImageFolder(TensorDataset dataset, string[] classes, List<(string File, string Reason)> skipped, string[] files)
        => (Dataset, ClassNames, Skipped, Files) = (dataset, classes, skipped, files);

    public TensorDataset Dataset { get; }
    public string[] ClassNames { get; }
    public IReadOnlyList<(string File, string Reason)> Skipped { get; }
    public string[] Files { get; }

    public static ImageFolder Load(string root, int height, int width, int channels = 3, UnreadableImages onError = UnreadableImages.Skip)
    {
        if (!Directory.Exists(root)) throw new DirectoryNotFoundException($"image folder '{root}' not found (expected root/<class>/<image files>)");
        if (channels is not (1 or 3)) throw new ArgumentException($"channels must be 1 (gray) or 3 (RGB), got {channels}");
        var classes = Directory.GetDirectories(root).Select(Path.GetFileName).Where(n => n != null).Select(n => n!).OrderBy(n => n, StringComparer.Ordinal).ToArray();
        if (classes.Length == 0) throw new InvalidDataException($"image folder '{root}' has no class sub-folders (expected root/<class>/<image files>)");
        var pixels = new List<float>();
        var labels = new List<long>();
        var files = new List<string>();
        var skipped = new List<(string, string)>();
        var mode = channels == 1 ? ColorMode.Gray : ColorMode.Rgb;
        var buffer = new float[channels * height * width];
        for (int c = 0; c < classes.Length; c++)
        {
            foreach (var file in Directory.GetFiles(Path.Combine(root, classes[c])).OrderBy(f => f, StringComparer.Ordinal))
            {
                if (!Extensions.Contains(Path.GetExtension(file).ToLowerInvariant())) continue;
                try
                {
                    var image = ImageDecoder.Decode(file, mode);
                    Resize.BilinearChw(image, height, width, buffer);
                }
                catch (Exception e) when (e is ImageFormatException or IOException && onError == UnreadableImages.Skip)
                {
                    skipped.Add((file, e.Message));
                    continue;
                }
                pixels.AddRange(buffer);
                labels.Add(c);
                files.Add(file);
            }
        }
        if (labels.Count == 0) throw new InvalidDataException($"image folder '{root}' contains no readable images ({skipped.Count} skipped)");
        var inputs = Tensor.FromArray(pixels.ToArray(), labels.Count, channels, height, width);
        return new ImageFolder(new TensorDataset(inputs, Tensor.FromArray(labels.ToArray())), classes, skipped, files.ToArray());
    }
}

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
