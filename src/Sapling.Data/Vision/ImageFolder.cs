using Sapling.Data.Vision.Codecs;

namespace Sapling.Data.Vision;

/// <summary>
/// A labelled image set laid out as <c>root/&lt;class&gt;/&lt;file&gt;</c> (any format <see cref="ImageDecoder"/> reads), decoded, converted
/// to gray or RGB, resized to one size with bilinear filtering and held in memory as [N, C, H, W] floats in [0, 1].
/// Classes are the sub-folder names in ordinal order, as torchvision's ImageFolder numbers them.
/// </summary>
public sealed class ImageFolder
{
    private ImageFolder(TensorDataset dataset, string[] classes, List<(string File, string Reason)> skipped, string[] files)
        => (Dataset, ClassNames, Skipped, Files) = (dataset, classes, skipped, files);

    /// <summary>The images as inputs [N, C, H, W] float32 in [0, 1] with each file's class id as its label.</summary>
    public TensorDataset Dataset { get; }
    /// <summary>The class sub-folder names in ordinal order; a label is an index into this array.</summary>
    public string[] ClassNames { get; }
    /// <summary>Files that could not be decoded and were skipped, each with the reason.</summary>
    public IReadOnlyList<(string File, string Reason)> Skipped { get; }
    /// <summary>The path of each loaded image, in the order of the dataset's rows.</summary>
    public string[] Files { get; }

    /// <param name="resizeShorterSide">0 stretches each image to height × width; positive: scale to this shorter side, keeping
    /// the aspect ratio, and keep the centre height × width (<see cref="Resize.ShorterSideCenterCropChw"/>).</param>
    public static ImageFolder Load(string root, int height, int width, int channels = 3, UnreadableImages onError = UnreadableImages.Skip,
        int resizeShorterSide = 0)
    {
        if (resizeShorterSide < 0 || resizeShorterSide > 0 && resizeShorterSide < Math.Min(height, width))
            throw new ArgumentException($"resize_shorter_side {resizeShorterSide} must be 0 (stretch) or at least the image size {height}×{width}");
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
                if (!ImageDecoder.FileExtensions.Contains(Path.GetExtension(file).ToLowerInvariant())) continue;
                try
                {
                    var image = ImageDecoder.Decode(file, mode);
                    Resize.ToModelInputChw(image, height, width, resizeShorterSide, buffer);
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
