using Sapling.Models.Classifiers;

namespace Sapling.Models.Tests;

public class ClassifierTests
{
    public static TheoryData<string> Types() => new("mlp", "cnn", "resnet");

    private static ClassifierConfig ConfigFor(string type) => type switch
    {
        "mlp" => new ClassifierConfig { ModelType = "mlp", InputShape = [64], HiddenSizes = [32, 16], NumClasses = 10, Dropout = 0.1f },
        "cnn" => new ClassifierConfig { ModelType = "cnn", InputShape = [1, 8, 8], Channels = [8, 16], HiddenSize = 32, NumClasses = 10, BatchNorm = true },
        _ => new ClassifierConfig { ModelType = "resnet", InputShape = [3, 16, 16], Channels = [8, 16], BlocksPerStage = 1, NumClasses = 5 },
    };

    [Theory]
    [MemberData(nameof(Types))]
    public void ForwardGivesOneLogitPerClass(string type)
    {
        var config = ConfigFor(type);
        var model = ClassifierFolder.Create(config, new Generator(1));
        var x = Tensor.Randn([4, .. config.InputShape], new Generator(2));
        Assert.Equal(new[] { 4, config.NumClasses }, model.Module.Forward(x).Shape);
    }

    [Theory]
    [MemberData(nameof(Types))]
    public void SavedFolderReloadsToTheSameOutputs(string type)
    {
        var config = ConfigFor(type) with { Id2Label = new() { ["0"] = "zero", ["1"] = "one" } };
        var model = ClassifierFolder.Create(config, new Generator(3));
        var x = Tensor.Randn([3, .. config.InputShape], new Generator(4));
        model.Module.Forward(x).Sum().Backward(); // batch norm sees a training batch and updates its statistics
        model.Module.Eval();
        var expected = model.Module.Forward(x).ToArray();
        var dir = Directory.CreateTempSubdirectory("sapling-model-").FullName;
        try
        {
            ClassifierFolder.Save(dir, model);
            var loaded = ClassifierFolder.Load(dir);
            Assert.Equal(expected, loaded.Module.Forward(x).ToArray());
            Assert.Equal("one", loaded.Config.LabelOf(1));
            Assert.Contains("\"model_type\": \"" + type + "\"", File.ReadAllText(Path.Combine(dir, "config.json")));
            Assert.Contains("\"label2id\"", File.ReadAllText(Path.Combine(dir, "config.json")));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Theory]
    [MemberData(nameof(Types))]
    public void ReplacingTheHeadKeepsTheBackbone(string type)
    {
        var model = ClassifierFolder.Create(ConfigFor(type), new Generator(5));
        bool InBackbone(string name) => model.BackbonePatterns.Any(p => name.StartsWith(p.TrimEnd('*'), StringComparison.Ordinal));
        var backboneBefore = model.Module.NamedParameters().Where(p => InBackbone(p.Name)).Select(p => p.Parameter).ToList();
        Assert.NotEmpty(backboneBefore);
        model.ReplaceHead(3, new Generator(6));
        Assert.Equal(3, model.Config.NumClasses);
        Assert.Equal(backboneBefore, model.Module.NamedParameters().Where(p => InBackbone(p.Name)).Select(p => p.Parameter));
        Assert.Equal(new[] { 3 }, model.Module.NamedParameters().Single(p => p.Name == "head.bias").Parameter.Shape);
        int frozen = model.BackbonePatterns.Sum(p => model.Module.Freeze(p));
        Assert.Equal(backboneBefore.Count, frozen);
        Assert.All(model.Module.NamedParameters().Where(p => !InBackbone(p.Name)), p => Assert.True(p.Parameter.RequiresGrad));
    }

    [Fact]
    public void LoadingAFolderWithoutConfigExplains()
    {
        var dir = Directory.CreateTempSubdirectory("sapling-model-").FullName;
        try
        {
            var ex = Assert.Throws<FileNotFoundException>(() => ClassifierFolder.Load(dir));
            Assert.Contains("config.json", ex.Message);
            File.WriteAllText(Path.Combine(dir, "config.json"), "{\"model_type\": \"transformer\"}");
            File.WriteAllBytes(Path.Combine(dir, "model.safetensors"), new byte[16]);
            Assert.Contains("transformer", Assert.Throws<InvalidDataException>(() => ClassifierFolder.Load(dir)).Message);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void MismatchedWeightsNameBothFiles()
    {
        var dir = Directory.CreateTempSubdirectory("sapling-model-").FullName;
        try
        {
            ClassifierFolder.Save(dir, ClassifierFolder.Create(ConfigFor("mlp")));
            var config = ConfigFor("mlp") with { HiddenSizes = [33, 16] };
            File.WriteAllText(Path.Combine(dir, "config.json"), config.ToJson());
            var ex = Assert.Throws<InvalidDataException>(() => ClassifierFolder.Load(dir));
            Assert.Contains("model.safetensors", ex.Message);
            Assert.Contains("hidden.0.weight", ex.Message);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Theory]
    [InlineData("cat")]
    [InlineData("-1")]
    [InlineData("3")]
    public void AnId2LabelKeyThatIsNoClassIdIsRefusedByName(string key)
    {
        string json = """{"model_type": "mlp", "num_classes": 3, "input_shape": [4], "hidden_sizes": [8], "id2label": {"0": "a", "KEY": "b"}}""".Replace("KEY", key);
        var e = Assert.Throws<InvalidDataException>(() => ClassifierConfig.FromJson(json, "config.json"));
        Assert.Contains($"id2label key '{key}'", e.Message);
    }
}
