using SkiaSharp;

namespace Sapling.Data.Vision.Codecs;

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

        // Grey files stay one channel unless colour was asked for; everything else is decoded as unpremultiplied RGBA,
        // so alpha never darkens the colour channels, and converted row by row into the channels asked for.
        bool grey = info.ColorType == SKColorType.Gray8 && mode is ColorMode.Auto or ColorMode.Gray;
        var target = new SKImageInfo(info.Width, info.Height, grey ? SKColorType.Gray8 : SKColorType.Rgba8888,
            grey ? SKAlphaType.Opaque : SKAlphaType.Unpremul);
        int channels = grey ? 1 : mode switch { ColorMode.Gray => 1, ColorMode.Rgba => 4, _ => 3 };
        var pixels = new byte[(long)info.Width * info.Height * channels];
        var result = codec.StartScanlineDecode(target) == SKCodecResult.Success
            ? DecodeRows(codec, target, pixels, channels)
            : DecodeWhole(codec, target, pixels, channels);
        if (result != SKCodecResult.Success) throw ImageFormatException.For(name, formatName, Problem(result, "decoding the pixels"));
        return ExifOrientation.Apply(new Image(info.Width, info.Height, channels, pixels), codec.EncodedOrigin);
    }

    /// <summary>Row by row through one pooled row of RGBA, so a photograph never exists twice in memory.</summary>
    private static unsafe SKCodecResult DecodeRows(SKCodec codec, SKImageInfo target, byte[] pixels, int channels)
    {
        int width = target.Width, rowBytes = target.RowBytes;
        bool direct = target.BytesPerPixel == channels;
        var row = direct ? null : System.Buffers.ArrayPool<byte>.Shared.Rent(rowBytes);
        try
        {
            fixed (byte* dst = pixels)
            fixed (byte* buffer = row)
            {
                for (int i = 0; i < target.Height; i++)
                {
                    int y = codec.NextScanline; // BMP stores its rows bottom-up
                    if (y < 0 || y >= target.Height) return SKCodecResult.ErrorInInput;
                    byte* output = dst + (long)y * width * channels;
                    if (codec.GetScanlines((IntPtr)(direct ? output : buffer), 1, rowBytes) != 1) return SKCodecResult.IncompleteInput;
                    if (!direct) FromRgba(new ReadOnlySpan<byte>(buffer, width * 4), new Span<byte>(output, width * channels), channels);
                }
            }
            return SKCodecResult.Success;
        }
        finally
        {
            if (row != null) System.Buffers.ArrayPool<byte>.Shared.Return(row);
        }
    }

    /// <summary>Formats without row access (interlaced PNG, animated GIF): the whole image as RGBA, then converted.</summary>
    private static unsafe SKCodecResult DecodeWhole(SKCodec codec, SKImageInfo target, byte[] pixels, int channels)
    {
        if (target.BytesPerPixel == channels)
        {
            fixed (byte* p = pixels) return codec.GetPixels(target, (IntPtr)p);
        }
        var rgba = new byte[(long)target.Width * target.Height * 4];
        SKCodecResult result;
        fixed (byte* p = rgba) result = codec.GetPixels(target, (IntPtr)p);
        if (result == SKCodecResult.Success) FromRgba(rgba, pixels, channels);
        return result;
    }

    /// <summary>RGBA to RGB (alpha dropped) or to grey with PIL's weights.</summary>
    private static void FromRgba(ReadOnlySpan<byte> rgba, Span<byte> output, int channels)
    {
        int count = rgba.Length / 4;
        if (channels == 3)
        {
            for (int i = 0; i < count; i++)
            {
                output[3 * i] = rgba[4 * i];
                output[3 * i + 1] = rgba[4 * i + 1];
                output[3 * i + 2] = rgba[4 * i + 2];
            }
        }
        else
        {
            for (int i = 0; i < count; i++) output[i] = ColorConversion.Luma(rgba[4 * i], rgba[4 * i + 1], rgba[4 * i + 2]);
        }
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
