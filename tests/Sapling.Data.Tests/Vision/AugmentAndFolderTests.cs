using Sapling.Data.Vision.Codecs;
using Sapling.Data.Vision;

namespace Sapling.Data.Tests.Vision;

public class AugmentTests
{
    [Fact]
    public void RotationAndScalingTurnAboutTheCentre()
    {
        var image = Tensor.Zeros(1, 1, 5, 5);
        using (Autograd.NoGrad.Enter()) image.AsSpan()[2 * 5 + 2] = 1f;
        var turned = new ImageAugment { RotationDegrees = 45, Scale = 0.2f }.Apply(image, new Generator(1)).ToArray();
        Assert.Equal(1f, turned[12], 4);
    }

    [Fact]
    public void RotationMovesOffCentrePixels()
    {
        var image = Tensor.Zeros(1, 1, 9, 9);
        using (Autograd.NoGrad.Enter()) image.AsSpan()[0 * 9 + 4] = 1f; // top centre
        var before = image.ToArray();
        var turned = new ImageAugment { RotationDegrees = 60 }.Apply(image, new Generator(2)).ToArray();
        Assert.True(turned[4] < 0.9f, $"top-centre value {turned[4]} should have moved");
        Assert.True(turned.Sum() > 0.5f);
        Assert.Equal(1f, before[4]);
    }

    [Fact]
    public void FlipMirrorsRows()
    {
        var image = Tensor.Arange(0, 6).Reshape(1, 1, 2, 3);
        var flipped = new ImageAugment { HorizontalFlip = 1f }.Apply(image, new Generator(2)).ToArray();
        Assert.Equal(new float[] { 2, 1, 0, 5, 4, 3 }, flipped);
    }

    [Fact]
    public void SameGeneratorSameResultAndIdentityWhenOff()
    {
        var images = Tensor.Rand([3, 1, 8, 8], new Generator(3));
        var aug = new ImageAugment { RotationDegrees = 15, Scale = 0.1f, Translate = 0.1f, Noise = 0.05f, CropPadding = 1 };
        Assert.Equal(aug.Apply(images, new Generator(4)).ToArray(), aug.Apply(images, new Generator(4)).ToArray());
        Assert.Same(images, new ImageAugment().Apply(images, new Generator(5)));
    }
}

public class ImageFolderTests
{
    [Fact]
    public void LoadsClassesResizesAndSkipsUnreadableFiles()
    {
        var root = Directory.CreateTempSubdirectory("sapling-images-").FullName;
        try
        {
            var fixtures = Path.Combine(Testing.Fixtures.Directory, "images");
            Directory.CreateDirectory(Path.Combine(root, "cat"));
            Directory.CreateDirectory(Path.Combine(root, "dog"));
            var pngs = Directory.GetFiles(fixtures, "*.png").Take(2).ToArray();
            var jpgs = Directory.GetFiles(fixtures, "*.jpg").Take(2).ToArray();
            File.Copy(pngs[0], Path.Combine(root, "cat", "a.png"));
            File.Copy(jpgs[0], Path.Combine(root, "cat", "b.jpg"));
            File.Copy(jpgs[1], Path.Combine(root, "dog", "c.jpg"));
            File.WriteAllBytes(Path.Combine(root, "dog", "broken.png"), [0x89, 0x50, 0x4E, 0x47, 1, 2, 3]);
            File.WriteAllText(Path.Combine(root, "dog", "notes.txt"), "not an image");
            var folder = ImageFolder.Load(root, 16, 12, channels: 3);
            Assert.Equal(new[] { "cat", "dog" }, folder.ClassNames);
            Assert.Equal(new[] { 3, 3, 16, 12 }, folder.Dataset.Inputs.Shape);
            Assert.Equal(new long[] { 0, 0, 1 }, folder.Dataset.Labels);
            Assert.Single(folder.Skipped);
            Assert.Contains("broken.png", folder.Skipped[0].File);
            Assert.All(folder.Dataset.Inputs.ToArray(), v => Assert.InRange(v, 0f, 1f));
            var ex = Assert.Throws<ImageFormatException>(() => ImageFolder.Load(root, 16, 12, onError: UnreadableImages.Fail));
            Assert.Contains("broken.png", ex.Message);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void ResizeOfUniformImageKeepsValues()
    {
        var image = new Image(4, 3, 1, Enumerable.Repeat((byte)51, 12).ToArray());
        var dst = new float[7 * 5];
        Resize.BilinearChw(image, 7, 5, dst);
        Assert.All(dst, v => Assert.Equal(0.2f, v, 5));
    }
}
