using Sapling.Vision;
using Xunit.Abstractions;

namespace Sapling.Data.Tests.Vision;

/// <summary>Every fixture decodes to the pixels PIL gives: exactly for PNG and PGM/PPM, and for JPEG within the bounds below.</summary>
public class DecodeFixtureTests(ITestOutputHelper output)
{
    public static TheoryData<ImageCase> Lossless => ImageFixtures.Where(c => !c.File.EndsWith(".jpg"));
    public static TheoryData<ImageCase> Jpegs => ImageFixtures.Where(c => c.File.EndsWith(".jpg"));

    [Theory]
    [MemberData(nameof(Lossless))]
    public void LosslessFormatsMatchPilExactly(ImageCase c)
    {
        var (image, expected) = DecodeCase(c);
        Assert.Equal(expected, image.Pixels);
    }

    /// <summary>The decoder copies libjpeg-turbo's islow IDCT, fancy upsampling and colour tables step for step, so it agrees
    /// with PIL (libjpeg-turbo 2.1.5) byte for byte; a float IDCT would be off by a few levels.</summary>
    [Theory]
    [MemberData(nameof(Jpegs))]
    public void JpegMatchesPil(ImageCase c)
    {
        var (image, expected) = DecodeCase(c);
        int max = 0;
        long sum = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            int d = Math.Abs(image.Pixels[i] - expected[i]);
            max = Math.Max(max, d);
            sum += d;
        }
        double mean = (double)sum / expected.Length;
        output.WriteLine($"{c.File}: max |diff| {max}, mean |diff| {mean:F4} over {expected.Length} samples");
        Assert.True(max == 0, $"{c.File}: max |diff| {max}, mean {mean:F4} vs PIL");
    }

    private static (Image Image, byte[] Expected) DecodeCase(ImageCase c)
    {
        var mode = c.Mode switch { "L" => ColorMode.Gray, "RGB" => ColorMode.Rgb, _ => ColorMode.Rgba };
        var image = ImageDecoder.Decode(ImageFixtures.PathOf(c.File), mode);
        Assert.Equal((c.Width, c.Height, c.Mode.Length), (image.Width, image.Height, image.Channels));
        return (image, ImageFixtures.Bytes(c.Expected));
    }
}
