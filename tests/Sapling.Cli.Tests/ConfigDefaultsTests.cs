using System.Reflection;
using Sapling.Cli.Config;
using Sapling.Models.Classifiers;
using Sapling.Training;

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
}
