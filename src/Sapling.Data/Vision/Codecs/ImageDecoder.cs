namespace Sapling.Vision;

/// <summary>Decodes PNG, JPEG and PGM/PPM files, choosing the codec by the file's magic bytes, never by its extension.</summary>
public static class ImageDecoder
{
    /// <summary>
    /// Largest width × height accepted by default; a header claiming more is refused before anything is allocated.
    /// Callers that take images from others (a server) pass a smaller budget: a few hundred compressed bytes of PNG
    /// can claim 16,000 × 16,000 pixels.
    /// </summary>
    public const long MaxPixels = 1L << 28;

    /// <summary>Reads and decodes the image at <paramref name="path"/>; errors name the path.</summary>
    public static Image Decode(string path, ColorMode mode = ColorMode.Auto, long maxPixels = MaxPixels)
    {
        ArgumentNullException.ThrowIfNull(path);
        return Decode(File.ReadAllBytes(path), path, mode, maxPixels);
    }

    /// <summary>Decodes an image held in memory; <paramref name="nameForErrors"/> is how error messages refer to it.</summary>
    /// <param name="maxPixels">The pixel budget: an image whose header claims more is refused before it is decoded.</param>
    public static Image Decode(ReadOnlySpan<byte> bytes, string nameForErrors, ColorMode mode = ColorMode.Auto, long maxPixels = MaxPixels)
    {
        if (maxPixels <= 0) throw new ArgumentOutOfRangeException(nameof(maxPixels), $"the pixel budget must be positive, got {maxPixels}");
        var image = DetectFormat(bytes) switch
        {
            ImageFormat.Png => PngDecoder.Decode(bytes, nameForErrors, maxPixels),
            ImageFormat.Jpeg => JpegDecoder.Decode(bytes, nameForErrors, maxPixels),
            ImageFormat.Pnm => PnmDecoder.Decode(bytes, nameForErrors, maxPixels),
            _ => throw new ImageFormatException($"{nameForErrors}: {Unrecognised(bytes)}"),
        };
        return ColorConversion.Convert(image, mode);
    }

    /// <summary>The format whose signature <paramref name="bytes"/> starts with.</summary>
    public static ImageFormat DetectFormat(ReadOnlySpan<byte> bytes)
    {
        if (bytes.StartsWith(PngDecoder.Signature)) return ImageFormat.Png;
        if (bytes.Length >= 3 && bytes[0] == 0xFF && bytes[1] == 0xD8 && bytes[2] == 0xFF) return ImageFormat.Jpeg;
        if (bytes.Length >= 2 && bytes[0] == 'P' && bytes[1] is (byte)'2' or (byte)'3' or (byte)'5' or (byte)'6') return ImageFormat.Pnm;
        return ImageFormat.Unknown;
    }

    internal static void CheckSize(string name, string format, long width, long height, long maxPixels)
    {
        if (width <= 0 || height <= 0) throw ImageFormatException.For(name, format, $"image size {width}×{height} is not positive");
        if (width * height > maxPixels)
            throw ImageFormatException.For(name, format, $"image size {width}×{height} exceeds the limit of {maxPixels:N0} pixels");
    }

    private static string Unrecognised(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length == 0) return "file is empty";
        string? known = bytes switch
        {
            _ when bytes.StartsWith("GIF8"u8) => "GIF",
            _ when bytes.StartsWith("BM"u8) => "BMP",
            _ when bytes.Length >= 12 && bytes.StartsWith("RIFF"u8) && bytes.Slice(8, 4).SequenceEqual("WEBP"u8) => "WebP",
            _ when bytes.StartsWith("II*\0"u8) || bytes.StartsWith("MM\0*"u8) => "TIFF",
            _ when bytes.StartsWith("P1"u8) || bytes.StartsWith("P4"u8) => "PBM (P1/P4 bitmap)",
            _ when bytes.StartsWith("P7"u8) => "PAM",
            _ => null,
        };
        if (known != null) return $"{known} images are not supported (PNG, JPEG and PGM/PPM are)";
        var head = Convert.ToHexString(bytes[..Math.Min(8, bytes.Length)]);
        return $"not a PNG, JPEG or PGM/PPM image (first bytes {head})";
    }
}
