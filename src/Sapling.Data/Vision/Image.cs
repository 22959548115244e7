using Sapling.Data.Vision.Codecs;

namespace Sapling.Data.Vision;

/// <summary>A decoded 8-bit image: <see cref="Pixels"/> holds <c>Height × Width × Channels</c> bytes, row-major, channels interleaved (HWC).</summary>
/// <remarks>Channels is 1 (grey), 3 (RGB) or 4 (RGBA). Decoders may hold 2 (grey + alpha) internally, but never return it.</remarks>
public sealed class Image
{
    /// <summary>Width in pixels (columns).</summary>
    public int Width { get; }
    /// <summary>Height in pixels (rows).</summary>
    public int Height { get; }
    /// <summary>Samples per pixel: 1 (grey), 3 (RGB) or 4 (RGBA).</summary>
    public int Channels { get; }
    /// <summary>
    /// The samples, Height × Width × Channels bytes, row-major with channels interleaved; not copied.
    /// </summary>
    public byte[] Pixels { get; }

    /// <summary>
    /// Wraps <paramref name="pixels"/> (HWC, not copied); throws when the size is not positive, the channel count is
    /// not 1, 3 or 4, or the array length does not match.
    /// </summary>
    public Image(int width, int height, int channels, byte[] pixels) : this(width, height, channels, pixels, validateChannels: true) { }

    internal Image(int width, int height, int channels, byte[] pixels, bool validateChannels)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        if (width <= 0 || height <= 0) throw new ArgumentException($"image size must be positive, got {width}×{height}");
        if (validateChannels ? channels is not (1 or 3 or 4) : channels is < 1 or > 4)
            throw new ArgumentException($"image channels must be 1, 3 or 4, got {channels}");
        if (pixels.LongLength != (long)width * height * channels)
            throw new ArgumentException($"{width}×{height}×{channels} image needs {(long)width * height * channels} bytes, got {pixels.LongLength}");
        Width = width;
        Height = height;
        Channels = channels;
        Pixels = pixels;
    }

    /// <summary>The sample at row <paramref name="y"/>, column <paramref name="x"/>, channel <paramref name="c"/>.</summary>
    public byte this[int y, int x, int c] => Pixels[((long)y * Width + x) * Channels + c];

    /// <summary>This image with <paramref name="mode"/>'s channels (grey uses PIL's ITU-R 601 weights; alpha is dropped, not composited).</summary>
    public Image Convert(ColorMode mode) => ColorConversion.Convert(this, mode);

    /// <summary>Planar float copy, channel by channel (CHW), each byte divided by 255 so values lie in [0, 1].</summary>
    public float[] ToFloatChw()
    {
        var result = new float[(long)Channels * Width * Height];
        ToFloatChw(result);
        return result;
    }

    /// <summary>Writes the planar [0, 1] copy into <paramref name="destination"/>, which must hold Channels × Height × Width floats.</summary>
    public void ToFloatChw(Span<float> destination)
    {
        long plane = (long)Width * Height;
        if (destination.Length != plane * Channels)
            throw new ArgumentException($"destination holds {destination.Length} floats, the {Channels}×{Height}×{Width} image needs {plane * Channels}");
        const float scale = 1f / 255f;
        var src = Pixels;
        int channels = Channels;
        for (int c = 0; c < channels; c++)
        {
            var dst = destination.Slice((int)(c * plane), (int)plane);
            for (int i = 0, s = c; i < dst.Length; i++, s += channels) dst[i] = src[s] * scale;
        }
    }

    /// <summary>The size and channel count, e.g. "Image(640×480×3)".</summary>
    public override string ToString() => $"Image({Width}×{Height}×{Channels})";
}
