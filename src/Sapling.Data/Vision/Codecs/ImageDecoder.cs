namespace Sapling.Data.Vision.Codecs;

/// <summary>Decodes PNG, JPEG, WebP, GIF (first frame), BMP, ICO and PGM/PPM files, choosing the codec by the file's
/// magic bytes, never by its extension. PGM/PPM go through Sapling's own reader (Skia does not read them), the rest through
/// Skia's codecs.</summary>
public static class ImageDecoder
{
    /// <summary>
    /// Largest width × height accepted by default; a header claiming more is refused before anything is allocated.
    /// Callers that take images from others (a server) pass a smaller budget: a few hundred compressed bytes of PNG
    /// can claim 16,000 × 16,000 pixels.
    /// </summary>
    public const long MaxPixels = 1L << 28;

    /// <summary>The file name extensions that folder loaders and <c>predict</c> treat as images (lower case, with the dot).</summary>
    public static IReadOnlyList<string> FileExtensions { get; } =
        [".png", ".jpg", ".jpeg", ".webp", ".gif", ".bmp", ".ico", ".pgm", ".ppm", ".pnm"];

    /// <summary>The MIME type of a format, for serving an image back to a browser.</summary>
    public static string MimeType(ImageFormat format) => format switch
    {
        ImageFormat.Png => "image/png",
        ImageFormat.Jpeg => "image/jpeg",
        ImageFormat.WebP => "image/webp",
        ImageFormat.Gif => "image/gif",
        ImageFormat.Bmp => "image/bmp",
        ImageFormat.Ico => "image/x-icon",
        ImageFormat.Pnm => "image/x-portable-anymap",
        _ => "application/octet-stream",
    };

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
        var format = DetectFormat(bytes);
        return format switch
        {
            ImageFormat.Unknown => throw new ImageFormatException($"{nameForErrors}: {Unrecognised(bytes)}"),
            ImageFormat.Pnm => ColorConversion.Convert(PnmDecoder.Decode(bytes, nameForErrors, maxPixels), mode),
            _ => SkiaDecoder.Decode(bytes, nameForErrors, format, mode, maxPixels),
        };
    }

    /// <summary>The format whose signature <paramref name="bytes"/> starts with.</summary>
    public static ImageFormat DetectFormat(ReadOnlySpan<byte> bytes)
    {
        if (bytes.StartsWith(PngSignature)) return ImageFormat.Png;
        if (bytes.Length >= 3 && bytes[0] == 0xFF && bytes[1] == 0xD8 && bytes[2] == 0xFF) return ImageFormat.Jpeg;
        if (bytes.Length >= 2 && bytes[0] == 'P' && bytes[1] is (byte)'2' or (byte)'3' or (byte)'5' or (byte)'6') return ImageFormat.Pnm;
        if (bytes.Length >= 12 && bytes.StartsWith("RIFF"u8) && bytes.Slice(8, 4).SequenceEqual("WEBP"u8)) return ImageFormat.WebP;
        if (bytes.StartsWith("GIF87a"u8) || bytes.StartsWith("GIF89a"u8)) return ImageFormat.Gif;
        if (bytes.StartsWith("BM"u8)) return ImageFormat.Bmp;
        if (bytes.Length >= 4 && bytes[0] == 0 && bytes[1] == 0 && bytes[2] == 1 && bytes[3] == 0) return ImageFormat.Ico;
        return ImageFormat.Unknown;
    }

    internal static void CheckSize(string name, string format, long width, long height, long maxPixels)
    {
        if (width <= 0 || height <= 0) throw ImageFormatException.For(name, format, $"image size {width}×{height} is not positive");
        if (width * height > maxPixels)
            throw ImageFormatException.For(name, format, $"image size {width}×{height} exceeds the limit of {maxPixels:N0} pixels");
    }

    private static ReadOnlySpan<byte> PngSignature => [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    private const string Supported = "PNG, JPEG, WebP, GIF, BMP, ICO or PGM/PPM";

    private static string Unrecognised(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length == 0) return "file is empty";
        string? known = bytes switch
        {
            _ when bytes.StartsWith("II*\0"u8) || bytes.StartsWith("MM\0*"u8) => "TIFF",
            _ when bytes.StartsWith("P1"u8) || bytes.StartsWith("P4"u8) => "PBM (P1/P4 bitmap)",
            _ when bytes.StartsWith("P7"u8) => "PAM",
            _ => null,
        };
        if (known != null) return $"{known} images are not supported ({Supported} are)";
        var head = Convert.ToHexString(bytes[..Math.Min(8, bytes.Length)]);
        return $"not a {Supported} image (first bytes {head})";
    }
}
