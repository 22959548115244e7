using SkiaSharp;

namespace Sapling.Vision;

/// <summary>
/// Decodes PNG, JPEG, WebP, GIF, BMP and ICO through Skia's codecs (libjpeg-turbo, libpng, libwebp): progressive and
/// CMYK/YCCK JPEG, 16-bit and interlaced PNG, lossy and lossless WebP. The header is read first, so an image claiming
/// more pixels than the budget is refused before its pixels are allocated; EXIF orientation is applied, as phones rely on it.
/// </summary>
internal static class SkiaDecoder
{
    public static unsafe Image Decode(ReadOnlySpan<byte> bytes, string name, ImageFormat format, ColorMode mode, long maxPixels)
    {
        string formatName = format.ToString().ToUpperInvariant();
        TruncationCheck.Check(bytes, name, format);
        using var data = SKData.CreateCopy(bytes);
        using var codec = SKCodec.Create(new SKMemoryStream(data), out var opened);
        if (codec == null) throw ImageFormatException.For(name, formatName, Problem(opened, "reading the header"));
        var info = codec.Info;
        ImageDecoder.CheckSize(name, formatName, info.Width, info.Height, maxPixels);

        // Grey files stay one channel unless colour was asked for; everything else is decoded as unpremultiplied RGBA
        // and converted, so alpha never darkens the colour channels.
        bool grey = info.ColorType == SKColorType.Gray8 && mode is ColorMode.Auto or ColorMode.Gray;
        int channels = grey ? 1 : 4;
        var target = new SKImageInfo(info.Width, info.Height, grey ? SKColorType.Gray8 : SKColorType.Rgba8888,
            grey ? SKAlphaType.Opaque : SKAlphaType.Unpremul);
        var pixels = new byte[(long)info.Width * info.Height * channels];
        SKCodecResult decoded;
        fixed (byte* p = pixels) decoded = codec.GetPixels(target, (IntPtr)p);
        if (decoded != SKCodecResult.Success) throw ImageFormatException.For(name, formatName, Problem(decoded, "decoding the pixels"));

        var image = ExifOrientation.Apply(new Image(info.Width, info.Height, channels, pixels), codec.EncodedOrigin);
        return ColorConversion.Convert(image, mode);
    }

    private static string Problem(SKCodecResult result, string stage) => result switch
    {
        SKCodecResult.IncompleteInput => $"the file is truncated: its data ends early ({stage})",
        SKCodecResult.ErrorInInput => $"the image data is corrupt ({stage})",
        SKCodecResult.InvalidInput => $"the file is not a valid image of this format ({stage})",
        SKCodecResult.Unimplemented => $"the file uses a feature the decoder does not support ({stage})",
        SKCodecResult.InvalidScale or SKCodecResult.InvalidConversion or SKCodecResult.InvalidParameters =>
            $"the decoder cannot convert this image to 8-bit RGBA ({result}, {stage})",
        _ => $"the decoder failed with {result} ({stage})",
    };
}
