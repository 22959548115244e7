using System.Text;
using Sapling.Models.Classifiers;
using Sapling.Models.Gpt;
using Sapling.Testing;
using Xunit.Abstractions;

namespace Sapling.Models.Tests.Fuzzing;

/// <summary>
/// Mutated config.json files: each is read (and the model it describes built, when small enough) or refused with an
/// InvalidDataException naming the file, before anything sized by the file is allocated.
/// </summary>
public sealed class ConfigFuzzTests(ITestOutputHelper output)
{
    private const string Source = "fuzzed/config.json";

    [Fact]
    public void GptConfigsReadOrGetANamedError()
    {
        var seeds = new[]
        {
            new GptConfig { VocabSize = 30, NPositions = 16, NEmbd = 8, NLayer = 2, NHead = 2 },
            new GptConfig { VocabSize = 50, NPositions = 8, NEmbd = 12, NLayer = 1, NHead = 3, NInner = 20, ActivationFunction = "relu", PrunedHeads = new() { ["0"] = [1] } },
            new GptConfig { VocabSize = 40, NPositions = 8, NEmbd = 8, NLayer = 1, NHead = 2, Architectures = ["GPT2ForSequenceClassification"], Id2Label = new() { ["0"] = "no", ["1"] = "yes" }, PadTokenId = 0 },
        }.Select(c => Encoding.UTF8.GetBytes(c.ToJson())).ToList();
        var report = new Fuzzer(7).Run("GPT config.json", seeds, bytes =>
        {
            var config = GptConfig.FromJson(Encoding.UTF8.GetString(bytes), Source);
            // What a 20 MB checkpoint would allow: a config that passes builds its model.
            if (config.ParameterCount <= 20_000_000 / 4) _ = new GptModel(config);
        }, e => e is InvalidDataException && e.Message.Contains(Source));
        output.WriteLine(report.ToString());
        Fuzzer.AssertClean(report);
    }

    [Fact]
    public void ClassifierConfigsReadOrGetANamedError()
    {
        var seeds = new[]
        {
            new ClassifierConfig { ModelType = "mlp", InputShape = [4], NumClasses = 3, HiddenSizes = [8] },
            new ClassifierConfig { ModelType = "cnn", InputShape = [1, 8, 8], NumClasses = 2, Channels = [4, 8], HiddenSize = 16 },
            new ClassifierConfig { ModelType = "resnet", InputShape = [3, 8, 8], NumClasses = 4, Channels = [4], BlocksPerStage = 1, BatchNorm = true },
        }.Select(c => Encoding.UTF8.GetBytes(c.ToJson())).ToList();
        var report = new Fuzzer(8).Run("classifier config.json", seeds, bytes => ClassifierConfig.FromJson(Encoding.UTF8.GetString(bytes), Source),
            e => e is InvalidDataException && e.Message.Contains(Source));
        output.WriteLine(report.ToString());
        Fuzzer.AssertClean(report);
    }
}
