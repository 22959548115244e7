using Xunit.Abstractions;
using Sapling.Data.Vision.Codecs;

namespace Sapling.Data.Tests.Vision;

/// <summary>
/// Every fixture decodes to exactly the pixels PIL gives: PNG (all colour types, depths, interlacing), JPEG (Skia and PIL
/// both run libjpeg-turbo's islow IDCT and fancy upsampling; progressive, CMYK, EXIF-rotated), WebP, GIF, BMP, PGM/PPM.
/// </summary>
public class DecodeFixtureTests(ITestOutputHelper output)
{
    public static TheoryData<ImageCase> All => ImageFixtures.Where(_ => true);

    [Theory]
    [MemberData(nameof(All))]
    public void DecodesAsPilDoes(ImageCase c)
    {
        var mode = c.Mode switch { "L" => ColorMode.Gray, "RGB" => ColorMode.Rgb, _ => ColorMode.Rgba };
        var image = ImageDecoder.Decode(ImageFixtures.PathOf(c.File), mode);
        Assert.Equal((c.Width, c.Height, c.Mode.Length), (image.Width, image.Height, image.Channels));
        var expected = ImageFixtures.Bytes(c.Expected);
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
}
