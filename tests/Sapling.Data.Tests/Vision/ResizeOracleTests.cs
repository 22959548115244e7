using System.Text.Json;
using Sapling.Data.Vision;
using Xunit.Abstractions;
using Sapling.Data.Vision.Codecs;

namespace Sapling.Data.Tests.Vision;

/// <summary>
/// Resizing against PIL's <c>resize(BILINEAR)</c> and torchvision's <c>Resize(n) + CenterCrop(m)</c> (fixtures from
/// tests/fixtures/images/make_image_fixtures.py): shrinking is antialiased as theirs is, enlarging is bilinear. PIL rounds
/// to 8 bits after its horizontal pass and at the end, Sapling keeps floats, so each sample may differ by one level.
/// </summary>
public class ResizeOracleTests(ITestOutputHelper output)
{
    public static TheoryData<string, int, int, int> Cases()
    {
        var data = new TheoryData<string, int, int, int>();
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(ImageFixtures.Directory, "resize.json")));
        foreach (var e in doc.RootElement.EnumerateArray())
            data.Add(e.GetProperty("expected").GetString()!, e.GetProperty("width").GetInt32(), e.GetProperty("height").GetInt32(),
                e.GetProperty("shorter_side").GetInt32());
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesPilAndTorchvision(string expectedFile, int width, int height, int shorterSide)
    {
        var image = ImageDecoder.Decode(ImageFixtures.PathOf("resize_source.png"), ColorMode.Rgb);
        var chw = new float[3 * height * width];
        if (shorterSide == 0) Resize.BilinearChw(image, height, width, chw);
        else Resize.ShorterSideCenterCropChw(image, shorterSide, height, width, chw);
        var expected = ImageFixtures.Bytes(expectedFile); // HWC bytes
        double max = 0, sum = 0;
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
                for (int c = 0; c < 3; c++)
                {
                    double d = Math.Abs(chw[(c * height + y) * width + x] * 255.0 - expected[(y * width + x) * 3 + c]);
                    max = Math.Max(max, d);
                    sum += d;
                }
        output.WriteLine($"{expectedFile}: max |diff| {max:F3} levels, mean {sum / expected.Length:F4}");
        Assert.True(max <= 1.0, $"{expectedFile}: max |diff| {max:F3} levels");
    }

    [Fact]
    public void CropLargerThanTheResizedImageIsRefused()
    {
        var image = new Image(40, 30, 3, new byte[40 * 30 * 3]);
        var ex = Assert.Throws<ArgumentException>(() => Resize.ShorterSideCenterCropChw(image, 32, 48, 48, new float[3 * 48 * 48]));
        Assert.Contains("smaller than the 48×48 crop", ex.Message);
    }
}
