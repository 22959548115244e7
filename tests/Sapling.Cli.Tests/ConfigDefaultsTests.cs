using System.Reflection;
using Sapling.Cli.Config;
using Sapling.Models.Classifiers;
using Sapling.Training.Classification;
using Sapling.Training.LanguageModel;

namespace Sapling.Cli.Tests;

/// <summary>
/// A config that sets nothing binds to the option records' own defaults: each default is written once, in the record,
/// and the CLI reads it from there (a key the config leaves out means what the library means by leaving it out).
/// </summary>
public sealed class ConfigDefaultsTests
{
    private static void SameAsRecordDefaults<T>(T bound, T defaults, params string[] exceptions)
    {
        var differences = new List<string>();
        foreach (var property in typeof(T).GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (!property.CanWrite || exceptions.Contains(property.Name)) continue;
            var a = System.Text.Json.JsonSerializer.Serialize(property.GetValue(bound));
            var b = System.Text.Json.JsonSerializer.Serialize(property.GetValue(defaults));
            if (a != b) differences.Add($"{typeof(T).Name}.{property.Name}: the CLI binds {a} when the config says nothing, the record's default is {b}");
        }
        Assert.True(differences.Count == 0, string.Join("\n", differences));
    }

    [Fact]
    public void AnEmptyClassificationConfigBindsTheRecordsDefaults()
    {
        var (data, model, train) = ClassificationConfig.Bind(ConfigTree.Empty("empty.yaml"));
        SameAsRecordDefaults(train, new TrainingOptions());
        SameAsRecordDefaults(data, new DataOptions());
        SameAsRecordDefaults(model, new ClassifierConfig());
    }

    [Fact]
    public void AnEmptyLanguageModelConfigBindsTheRecordsDefaults()
    {
        var options = LanguageModelConfig.Bind(ConfigTree.Empty("empty.yaml"));
        SameAsRecordDefaults(options, new LmOptions());
    }

    [Fact]
    public void ModesBindAsTypedValuesAndUnknownOnesAreRefusedByKey()
    {
        var tree = ConfigTree.Empty("modes.yaml");
        tree.Set("train.optimizer=sgd");
        tree.Set("train.schedule=plateau");
        var (_, _, train) = ClassificationConfig.Bind(tree);
        Assert.Equal(OptimizerType.Sgd, train.Optimizer);
        Assert.Equal(LrScheduleType.Plateau, train.Schedule);
        tree.Set("train.optimizer=adamw");
        Assert.Equal(OptimizerType.AdamW, ClassificationConfig.Bind(tree).Train.Optimizer);
        tree.Set("train.optimizer=lamb");
        var e = Assert.Throws<InvalidDataException>(() => ClassificationConfig.Bind(tree));
        Assert.Contains("'train.optimizer' should be one of sgd, adam, adamw, got 'lamb'", e.Message);
    }

    [Fact]
    public void TheLibrarysMessagesNameTheConfigKeysThatSetTheOptions()
    {
        var classification = ConfigTree.Empty("run.yaml");
        classification.Set("train.lr=-1");
        Assert.Equal("train.lr must be positive, got -1", Assert.Throws<ArgumentException>(() => ClassificationConfig.Bind(classification)).Message);
        classification.Set("train.lr=0.1");
        classification.Set("train.backbone_lr_scale=-2");
        Assert.Equal("train.backbone_lr_scale must be 0 or more, got -2", Assert.Throws<ArgumentException>(() => ClassificationConfig.Bind(classification)).Message);

        var lora = ConfigTree.Empty("lora.yaml");
        lora.Set("method=lora");
        lora.Set("model.path=base");
        lora.Set("lora.r=0");
        Assert.Equal("lora.r must be positive, got 0", Assert.Throws<ArgumentException>(() => LanguageModelConfig.Bind(lora)).Message);
        var sft = ConfigTree.Empty("sft.yaml");
        sft.Set("method=sft");
        Assert.Equal("method sft fine-tunes a model: give its folder (model.path)", Assert.Throws<ArgumentException>(() => LanguageModelConfig.Bind(sft)).Message);
        var classify = ConfigTree.Empty("classify.yaml");
        classify.Set("method=classify");
        classify.Set("model.path=base");
        classify.Set("classify.tuning=prompt");
        Assert.StartsWith("classify.tuning must be full or lora for method classify", Assert.Throws<ArgumentException>(() => LanguageModelConfig.Bind(classify)).Message);
    }
}
