using Sapling.Models.Classifiers;
using Sapling.Testing;
using Sapling.Data.Vision;
using Sapling.Data.Vision.Codecs;

namespace Sapling.Inference.Tests;

public sealed class ClassifierPredictorTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("sapling-predict-").FullName;

    public void Dispose() => Directory.Delete(dir, true);

    private ClassifierPredictor Save(ClassifierConfig config)
    {
        var model = ClassifierFolder.Create(config, new Generator(1));
        ClassifierFolder.Save(dir, model);
        return ClassifierPredictor.Load(dir);
    }

    [Fact]
    public void PreprocessingMatchesTraining()
    {
        var config = new ClassifierConfig
        {
            ModelType = "mlp", InputShape = [4], HiddenSizes = [8], NumClasses = 3, InputScale = 2f,
            Normalization = new NormalizationConfig([1, 1, 1, 1], [2, 2, 2, 2]),
        };
        var predictor = Save(config);
        var x = predictor.Prepare([2, 4, 6, 8], 1).ToArray();
        // (v / 2 - 1) / 2
        Assert.Equal(new float[] { 0, 0.5f, 1, 1.5f }, x);
    }

    /// <summary>A folder saying resize_shorter_side (kept through save and load, in the torchvision ResNet's own
    /// config.json) gets its images scaled and centre-cropped, not stretched.</summary>
    [Theory]
    [InlineData("cnn")]
    [InlineData("torchvision_resnet")]
    public void ImagesAreScaledToTheShorterSideAndCentreCropped(string modelType)
    {
        var predictor = Save(new ClassifierConfig
        {
            ModelType = modelType, InputShape = [3, 40, 40], Channels = [4], HiddenSize = 8, NumClasses = 2, ResizeShorterSide = 48,
            Block = modelType == "cnn" ? null : "basic", Layers = modelType == "cnn" ? null : [1, 1, 1, 1],
            Normalization = new NormalizationConfig([0.5f, 0.5f, 0.5f], [0.25f, 0.25f, 0.25f]),
        });
        Assert.Equal(48, predictor.Config.ResizeShorterSide);
        var file = Path.Combine(Fixtures.Directory, "images", "resize_source.png");
        var x = predictor.PrepareImages([file]).ToArray();
        var expected = new float[3 * 40 * 40];
        Resize.ShorterSideCenterCropChw(ImageDecoder.Decode(file, ColorMode.Rgb), 48, 40, 40, expected);
        for (int i = 0; i < expected.Length; i++) Assert.Equal((expected[i] - 0.5f) / 0.25f, x[i], 5);
    }

    [Fact]
    public void ShorterSideBelowTheInputSizeIsRefused()
    {
        var config = new ClassifierConfig { ModelType = "cnn", InputShape = [3, 40, 40], Channels = [4], HiddenSize = 8, NumClasses = 2, ResizeShorterSide = 32 };
        var e = Assert.Throws<InvalidDataException>(() => config.Validate("config.json"));
        Assert.Contains("resize_shorter_side 32", e.Message);
    }

    [Fact]
    public void TopKIsSortedAndLabelled()
    {
        var predictor = Save(new ClassifierConfig
        {
            ModelType = "mlp", InputShape = [4], HiddenSizes = [8], NumClasses = 3,
            Id2Label = new() { ["0"] = "cat", ["1"] = "dog", ["2"] = "bird" },
        });
        var top = predictor.TopK(predictor.Prepare([1, 2, 3, 4, 5, 6, 7, 8], 2), 3);
        Assert.Equal(2, top.Count);
        foreach (var row in top)
        {
            Assert.Equal(3, row.Length);
            Assert.True(row[0].Probability >= row[1].Probability && row[1].Probability >= row[2].Probability);
            Assert.Equal(1f, row.Sum(p => p.Probability), 5);
            Assert.Contains(row[0].Label, new[] { "cat", "dog", "bird" });
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => predictor.TopK(predictor.Prepare([1, 2, 3, 4], 1), 0));
    }

    [Fact]
    public void WrongRowWidthIsExplained()
    {
        var predictor = Save(new ClassifierConfig { ModelType = "mlp", InputShape = [4], HiddenSizes = [8], NumClasses = 3 });
        var ex = Assert.Throws<ArgumentException>(() => predictor.Prepare([1, 2, 3], 1));
        Assert.Contains("4 values", ex.Message);
    }

    [Fact]
    public void ImagesAreResizedToTheModelInput()
    {
        var predictor = Save(new ClassifierConfig { ModelType = "cnn", InputShape = [1, 8, 8], Channels = [4], HiddenSize = 8, NumClasses = 3 });
        var png = Directory.GetFiles(Path.Combine(Testing.Fixtures.Directory, "images"), "*.png").First();
        var x = predictor.PrepareImages([png, png]);
        Assert.Equal(new[] { 2, 1, 8, 8 }, x.Shape);
        Assert.Equal(2, predictor.TopK(x, 1).Count);
    }
}
