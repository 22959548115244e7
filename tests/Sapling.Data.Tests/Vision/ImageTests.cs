using Sapling.Data.Vision;
using Sapling.Data.Vision.Codecs;

namespace Sapling.Data.Tests.Vision;

public class ImageTests
{
    [Fact]
    public void ToFloatChwIsPlanarAndScaledToUnitRange()
    {
        // 2 wide, 1 high, RGB: pixels (255, 0, 51) and (102, 204, 0).
        var image = new Image(2, 1, 3, [255, 0, 51, 102, 204, 0]);
        var chw = image.ToFloatChw();
        Assert.Equal([1f, 0.4f, 0f, 0.8f, 0.2f, 0f], chw, (a, b) => Math.Abs(a - b) < 1e-6f);
    }

    [Fact]
    public void ToFloatChwChecksTheDestinationLength()
    {
        var image = new Image(2, 2, 1, new byte[4]);
        var ex = Assert.Throws<ArgumentException>(() => image.ToFloatChw(new float[3]));
        Assert.Contains("needs 4", ex.Message);
    }

    [Fact]
    public void ConstructorRejectsWrongSizesAndChannelCounts()
    {
        Assert.Throws<ArgumentException>(() => new Image(2, 2, 3, new byte[11]));
        Assert.Throws<ArgumentException>(() => new Image(2, 2, 2, new byte[8]));
        Assert.Throws<ArgumentException>(() => new Image(0, 2, 1, []));
    }

    [Fact]
    public void ConvertsBetweenModesLikePil()
    {
        var rgba = new Image(1, 1, 4, [200, 100, 50, 7]);
        Assert.Equal([200, 100, 50], rgba.Convert(ColorMode.Rgb).Pixels);
        Assert.Equal([(byte)((200 * 19595 + 100 * 38470 + 50 * 7471 + 0x8000) >> 16)], rgba.Convert(ColorMode.Gray).Pixels);
        Assert.Equal([9, 9, 9, 255], new Image(1, 1, 1, [9]).Convert(ColorMode.Rgba).Pixels);
        Assert.Same(rgba, rgba.Convert(ColorMode.Rgba));
        Assert.Equal(3, rgba.Convert(ColorMode.Auto).Channels);
    }

    [Fact]
    public void IndexerReadsHwc()
    {
        var image = new Image(2, 2, 3, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
        Assert.Equal(10, image[1, 1, 1]);
    }
}
