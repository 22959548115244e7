using System.Text.Json;
using Sapling.IO;
using Sapling.Models.Adapters;
using Sapling.Models.Gpt;
using Sapling.Training.LanguageModel;

namespace Sapling.Training.Tests.LanguageModel;

/// <summary>Each fine-tuning method end to end on a tiny pretrained model: what trains, what is saved, what stays put.</summary>
public sealed class FineTuningTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("sapling-ft-").FullName;
    private readonly string baseModel;

    public FineTuningTests()
    {
        baseModel = new LmTrainer(LanguageModelTests.Tiny(6), new LanguageModelTests.Quiet()).Run(Path.Combine(root, "base")).ModelDirectory;
    }

    public void Dispose() => Directory.Delete(root, true);

    private LmOptions FineTune(string method) => LanguageModelTests.Tiny(6) with { Method = TrainingMethods.Parse(method), InitFrom = baseModel, LearningRate = 1e-2 };

    private Dictionary<string, float[]> BaseWeights() =>
        SafeTensors.LoadAll(Path.Combine(baseModel, "model.safetensors"), DType.Float32).ToDictionary(e => e.Key, e => e.Value.ToArray());

    private static JsonElement Results(LmResult result) => JsonDocument.Parse(File.ReadAllText(Path.Combine(result.RunDirectory, "results.json"))).RootElement;

    [Fact]
    public void LoraSavesAPeftAdapterAndAMergedModelAndLeavesTheBaseAlone()
    {
        var before = BaseWeights();
        var options = FineTune("lora") with { Lora = NN.Adapters.LoraConfig.WithTargets(new NN.Adapters.LoraConfig { Rank = 2, Alpha = 4 }, "c_attn|c_fc") };
        var result = new LmTrainer(options, new LanguageModelTests.Quiet()).Run(Path.Combine(root, "lora"));
        Assert.NotNull(result.AdapterDirectory);
        Assert.Equal("LORA", PeftAdapter.Read(result.AdapterDirectory!).PeftType);
        foreach (var (name, values) in BaseWeights()) Assert.True(before[name].SequenceEqual(values), $"{name} of the base folder changed");

        // The merged model folder and base + adapter give the same logits.
        var ids = Tensor.FromArray(new long[] { 1, 2, 3, 4, 5 }, 1, 5);
        var merged = GptFolder.Load(result.ModelDirectory);
        merged.Eval();
        Testing.TensorAssert.Close(PeftAdapter.LoadModel(baseModel, result.AdapterDirectory).Forward(ids), merged.Forward(ids), rtol: 1e-4f, atol: 1e-5f);

        var json = Results(result);
        Assert.Equal("lora", json.GetProperty("method").GetString());
        Assert.True(json.GetProperty("trainable_params").GetInt64() < json.GetProperty("all_params").GetInt64() / 4);
        Assert.True(double.IsFinite(json.GetProperty("base_val_loss").GetDouble()));
        Assert.True(json.GetProperty("ms_per_step").GetDouble() > 0);
    }

    [Fact]
    public void PromptTuningTrainsOnlyTheVirtualTokens()
    {
        var before = BaseWeights();
        var result = new LmTrainer(FineTune("prompt") with { VirtualTokens = 3, LearningRate = 0.05 }, new LanguageModelTests.Quiet()).Run(Path.Combine(root, "prompt"));
        Assert.Equal(baseModel, result.ModelDirectory);
        var description = PeftAdapter.Read(result.AdapterDirectory!);
        Assert.Equal(3, description.VirtualTokens);
        foreach (var (name, values) in BaseWeights()) Assert.True(before[name].SequenceEqual(values), $"{name} changed");
        var model = PeftAdapter.LoadModel(baseModel, result.AdapterDirectory);
        Assert.Equal(3, model.VirtualTokens);
        Assert.Equal(3 * model.Config.NEmbd, Results(result).GetProperty("trainable_params").GetInt64());
    }

    [Fact]
    public void FullFineTuningWithLayerDecayMovesEveryWeightAndImprovesOnTheBase()
    {
        var options = FineTune("full") with { LayerDecay = 0.5, Steps = 12, EvalInterval = 12 };
        var result = new LmTrainer(options, new LanguageModelTests.Quiet()).Run(Path.Combine(root, "full"));
        Assert.Null(result.AdapterDirectory);
        Assert.True(result.ValidationLoss < result.BaseValidationLoss, $"validation loss {result.ValidationLoss} should improve on the base's {result.BaseValidationLoss}");
        var tuned = SafeTensors.LoadAll(Path.Combine(result.ModelDirectory, "model.safetensors"), DType.Float32);
        foreach (var (name, values) in BaseWeights())
            Assert.False(values.SequenceEqual(tuned[name].ToArray()), $"{name} did not train");
    }

    [Fact]
    public void LayerDecayGivesLowerBlocksSmallerLearningRates()
    {
        var model = GptFolder.Load(baseModel);
        var groups = LmMethod.For(FineTune("full") with { LayerDecay = 0.5, LearningRate = 0.1 }).ParameterGroups(model);
        double RateOf(Tensor parameter) => groups.Single(g => g.Params.Contains(parameter)).LearningRate;
        // One block: embeddings at depth 0 (0.1·0.5²), the block at depth 1 (0.1·0.5), the final norm at the top (0.1).
        Assert.Equal(0.025, RateOf(model.Wte.Weight), 12);
        Assert.Equal(0.05, RateOf(model.Blocks[0].Attn.CAttn.Weight), 12);
        Assert.Equal(0.1, RateOf(model.LnF.Weight!), 12);
        Assert.Equal(0.0, groups.Single(g => g.Params.Contains(model.LnF.Weight!)).Options["weight_decay"]);
    }

    [Fact]
    public void FineTuningResumesToTheSameAdapter()
    {
        var options = FineTune("lora") with { Steps = 6, EvalInterval = 3 };
        var straight = new LmTrainer(options, new LanguageModelTests.Quiet()).Run(Path.Combine(root, "straight"));
        var dir = Path.Combine(root, "crashed");
        Assert.Throws<OperationCanceledException>(() => new LmTrainer(options, new LanguageModelTests.Quiet(crashAt: 5)).Run(dir));
        var resumed = new LmTrainer(options, new LanguageModelTests.Quiet()).Run(dir, resumeFrom: dir);
        var a = SafeTensors.LoadAll(Path.Combine(straight.AdapterDirectory!, PeftAdapter.WeightsFile), DType.Float32);
        var b = SafeTensors.LoadAll(Path.Combine(resumed.AdapterDirectory!, PeftAdapter.WeightsFile), DType.Float32);
        Assert.Equal(a.Keys.Order(), b.Keys.Order());
        foreach (var key in a.Keys) Assert.True(a[key].ToArray().SequenceEqual(b[key].ToArray()), $"{key} differs after resuming");
    }

    [Fact]
    public void FineTuningNeedsABaseModelAndAKnownMethod()
    {
        Assert.Contains("(InitFrom)", Assert.Throws<ArgumentException>(() => new LmTrainer(LanguageModelTests.Tiny(2) with { Method = TrainingMethod.Lora }).Run(Path.Combine(root, "x"))).Message);
        Assert.Contains("dpo2", Assert.Throws<ArgumentException>(() => new LmTrainer(FineTune("dpo2")).Run(Path.Combine(root, "y"))).Message);
    }
}
