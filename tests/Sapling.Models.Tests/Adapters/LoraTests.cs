using Sapling.Models.Adapters;
using Sapling.Models.Gpt;
using Sapling.NN;
using Sapling.Testing;
using Sapling.NN.Adapters;

namespace Sapling.Models.Tests.Adapters;

public sealed class LoraTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("sapling-lora-").FullName;

    public void Dispose() => Directory.Delete(root, recursive: true);

    private static readonly GptConfig Small = new() { VocabSize = 50, NPositions = 16, NEmbd = 32, NLayer = 2, NHead = 4, EmbdPdrop = 0, AttnPdrop = 0, ResidPdrop = 0 };

    private static Tensor Ids(int batch = 2, int t = 10) => Tensor.RandInt(0, Small.VocabSize, [batch, t], new Generator(5));

    /// <summary>A model with LoRA on c_attn and c_proj whose B matrices are random, so the adapters change the output.</summary>
    private static GptModel Adapted(LoraConfig? config = null)
    {
        var model = new GptModel(Small, new Generator(1));
        Lora.Apply(model, config ?? LoraConfig.WithTargets(new LoraConfig { Rank = 4, Alpha = 8 }, "c_attn|c_proj"), new Generator(2));
        using (Autograd.NoGrad.Enter())
            foreach (var (_, layer) in Lora.Adapted(model)) layer.Lora!.B.Weight.CopyFrom(Tensor.Randn([layer.OutFeatures, 4], new Generator(3)).Mul(0.05f));
        model.Eval();
        return model;
    }

    [Fact]
    public void AdaptersGoOnTheMatchingLayersOnlyAndOnlyTheyTrain()
    {
        var model = new GptModel(Small, new Generator(1));
        var adapted = Lora.Apply(model, LoraConfig.WithTargets(new LoraConfig { Rank = 8 }, "c_attn|c_proj"), new Generator(2));
        Assert.Equal(["h.0.attn.c_attn", "h.0.attn.c_proj", "h.0.mlp.c_proj", "h.1.attn.c_attn", "h.1.attn.c_proj", "h.1.mlp.c_proj"], adapted);
        var trainable = model.NamedParameters().Where(p => p.Parameter.RequiresGrad).Select(p => p.Name).ToList();
        Assert.All(trainable, name => Assert.True(Lora.IsAdapterKey(name), name));
        Assert.Contains("h.0.attn.c_attn.lora_A.weight", trainable);
        // c_attn: A [8, 32] + B [96, 8]; c_proj (attn): 8·32 + 32·8; mlp.c_proj: 8·128 + 32·8; per layer, two layers.
        long expected = 2 * ((8 * 32 + 96 * 8) + (8 * 32 + 32 * 8) + (8 * 128 + 32 * 8));
        Assert.Equal(expected, model.ParameterCount(trainableOnly: true));
        Assert.StartsWith($"trainable params: {expected:N0} || all params: {model.ParameterCount():N0} || trainable%: ", Lora.TrainableSummary(model));
    }

    [Fact]
    public void AFreshAdapterLeavesTheOutputUnchanged()
    {
        var plain = new GptModel(Small, new Generator(1));
        plain.Eval();
        var adapted = new GptModel(Small, new Generator(1));
        Lora.Apply(adapted, new LoraConfig(), new Generator(2));
        adapted.Eval();
        // B starts at zero. (Not bit for bit: with the base frozen, attention takes the fused kernel instead of explicit scores.)
        TensorAssert.Close(plain.Forward(Ids()), adapted.Forward(Ids()), rtol: 1e-5f, atol: 1e-5f);
    }

    [Fact]
    public void MergedLogitsEqualUnmergedAndUnmergeRestoresTheWeights()
    {
        var model = Adapted();
        var baseWeight = model.Blocks[0].Attn.CAttn.Weight.Clone();
        var unmerged = model.Forward(Ids());
        Lora.Merge(model);
        Assert.True(model.Blocks[0].Attn.CAttn.Lora!.Merged);
        var merged = model.Forward(Ids());
        TensorAssert.Close(unmerged, merged, rtol: 1e-5f, atol: 1e-5f);
        Assert.True(MaxDifference(baseWeight, model.Blocks[0].Attn.CAttn.Weight) > 1e-4, "merging must change the weight");
        Lora.Unmerge(model);
        TensorAssert.Close(baseWeight, model.Blocks[0].Attn.CAttn.Weight, rtol: 0f, atol: 1e-6f);
        TensorAssert.Close(unmerged, model.Forward(Ids()), rtol: 1e-5f, atol: 1e-5f);
    }

    [Fact]
    public void MergeAndUnloadLeavesAPlainModelWithTheSameOutputs()
    {
        var model = Adapted();
        var before = model.Forward(Ids());
        Lora.MergeAndUnload(model);
        Assert.Empty(Lora.Adapted(model));
        Assert.DoesNotContain(model.StateDict().Keys, Lora.IsAdapterKey);
        var dir = Path.Combine(root, "merged");
        GptFolder.Save(dir, model);
        TensorAssert.Close(before, GptFolder.Load(dir).Forward(Ids()), rtol: 1e-5f, atol: 1e-5f);
    }

    [Fact]
    public void TheBranchComputesScaledBAxAndItsGradientsMatchFiniteDifferences()
    {
        var layer = new Linear(6, 5, generator: new Generator(1));
        var branch = new LoraBranch(6, 5, rank: 2, alpha: 6f, generator: new Generator(2));
        using (Autograd.NoGrad.Enter()) branch.B.Weight.CopyFrom(Tensor.Randn([5, 2], new Generator(3)));
        layer.AttachLora(branch);
        var x = Tensor.Randn([3, 6], new Generator(4));
        var expected = x.MatMul(layer.Weight.T()).Add(layer.Bias!).Add(x.MatMul(branch.A.Weight.T()).MatMul(branch.B.Weight.T()).Mul(3f));
        TensorAssert.Close(expected, layer.Forward(x), rtol: 1e-5f, atol: 1e-5f);
        // Gradients with respect to the input, A and B.
        GradCheck.Check(t => t[0].MatMul(t[3].T()).Add(t[0].MatMul(t[1].T()).MatMul(t[2].T()).Mul(branch.Scaling)),
            [x, branch.A.Weight.Detach(), branch.B.Weight.Detach(), layer.Weight.Detach()]);
        var loss = layer.Forward(x).Square().Sum();
        loss.Backward();
        Assert.NotNull(branch.A.Weight.Grad);
        Assert.NotNull(branch.B.Weight.Grad);
    }

    [Fact]
    public void ConvOneDAdaptersMergeInTheTransposedLayout()
    {
        var layer = new Conv1D(6, 4, new Generator(1));
        var branch = new LoraBranch(6, 4, rank: 3, alpha: 3f, generator: new Generator(2));
        using (Autograd.NoGrad.Enter()) branch.B.Weight.CopyFrom(Tensor.Randn([4, 3], new Generator(3)));
        layer.AttachLora(branch);
        var x = Tensor.Randn([2, 6], new Generator(4));
        var unmerged = layer.Forward(x);
        layer.MergeLora();
        TensorAssert.Close(unmerged, layer.Forward(x), rtol: 1e-5f, atol: 1e-5f);
    }

    [Fact]
    public void AdapterSaveAndLoadRoundTripsInPeftsFormat()
    {
        var model = Adapted();
        var config = LoraConfig.WithTargets(new LoraConfig { Rank = 4, Alpha = 8 }, "c_attn|c_proj");
        var expected = model.Forward(Ids());
        var basePath = Path.Combine(root, "base");
        GptFolder.Save(basePath, model);
        var adapterPath = Path.Combine(root, "adapter");
        PeftAdapter.SaveLora(adapterPath, model, config, basePath);

        using (var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(adapterPath, PeftAdapter.ConfigFile))))
        {
            var json = doc.RootElement;
            Assert.Equal("LORA", json.GetProperty("peft_type").GetString());
            Assert.Equal(4, json.GetProperty("r").GetInt32());
            Assert.Equal(8, json.GetProperty("lora_alpha").GetDouble());
            Assert.Equal(["c_attn", "c_proj"], json.GetProperty("target_modules").EnumerateArray().Select(e => e.GetString()));
            Assert.Equal(basePath, json.GetProperty("base_model_name_or_path").GetString());
        }
        var names = IO.SafeTensors.LoadAll(Path.Combine(adapterPath, PeftAdapter.WeightsFile), DType.Float32).Keys.ToList();
        Assert.Contains("base_model.model.transformer.h.0.attn.c_attn.lora_A.weight", names);
        Assert.Contains("base_model.model.transformer.h.1.mlp.c_proj.lora_B.weight", names);
        Assert.Equal(12, names.Count);

        // The base folder holds no adapter tensors; base + adapter gives the adapted model back.
        Assert.DoesNotContain(IO.SafeTensors.LoadAll(Path.Combine(basePath, "model.safetensors"), DType.Float32).Keys, Lora.IsAdapterKey);
        var reloaded = PeftAdapter.LoadModel(basePath, adapterPath);
        TensorAssert.Close(expected, reloaded.Forward(Ids()), rtol: 1e-6f, atol: 1e-6f);
    }

    [Fact]
    public void AnAdapterThatDoesNotFitTheModelIsRefusedWithTheKeys()
    {
        var model = Adapted();
        var adapterPath = Path.Combine(root, "adapter");
        PeftAdapter.SaveLora(adapterPath, model, LoraConfig.WithTargets(new LoraConfig { Rank = 4, Alpha = 8 }, "c_attn|c_proj"), "base");
        // Claim fewer targets than the file holds.
        var configPath = Path.Combine(adapterPath, PeftAdapter.ConfigFile);
        File.WriteAllText(configPath, File.ReadAllText(configPath).Replace("\"c_proj\"", "\"c_fc\""));
        var error = Assert.Throws<InvalidDataException>(() => PeftAdapter.Apply(new GptModel(Small, new Generator(1)), adapterPath));
        Assert.Contains("unexpected", error.Message);
        Assert.Contains("c_proj.lora_A.weight", error.Message);
        Assert.Contains("missing", error.Message);
    }

    [Fact]
    public void TargetsThatMatchNothingAreAnErrorThatShowsTheLayerNames()
    {
        var error = Assert.Throws<ArgumentException>(() => Lora.Apply(new GptModel(Small), LoraConfig.WithTargets(new LoraConfig(), "q_proj|v_proj")));
        Assert.Contains("q_proj", error.Message);
        Assert.Contains("h.0.attn.c_attn", error.Message);
        // A regular expression matches whole paths.
        Assert.Equal(["h.1.attn.c_attn"], Lora.Apply(new GptModel(Small), LoraConfig.WithTargets(new LoraConfig(), @"h\.1\.attn\.c_\w+n")));
    }

    private static float MaxDifference(Tensor a, Tensor b) => a.ToArray().Zip(b.ToArray(), (x, y) => Math.Abs(x - y)).Max();
}

public sealed class LoraTrainingTests
{
    [Fact]
    public void TrainingOnlyTheAdaptersFitsABatch()
    {
        var config = new GptConfig { VocabSize = 30, NPositions = 16, NEmbd = 16, NLayer = 1, NHead = 2, EmbdPdrop = 0, AttnPdrop = 0, ResidPdrop = 0 };
        var model = new GptModel(config, new Generator(1));
        // A fresh model's tied output head (N(0, 0.02) rows) cannot give confident logits, and LoRA leaves it frozen;
        // embeddings at the scale a trained model has make the task one the adapters can solve.
        using (Autograd.NoGrad.Enter()) model.Wte.Weight.MulInPlace(25f);
        Lora.Apply(model, new LoraConfig { Rank = 4, Alpha = 8, TargetModules = ["c_attn", "c_proj", "c_fc"] }, new Generator(2));
        var optimizer = new Optim.AdamW(model.Parameters().Where(p => p.RequiresGrad), lr: 0.01);
        var ids = Tensor.RandInt(0, 30, [4, 12], new Generator(3));
        float first = 0, last = 0;
        for (int step = 0; step < 60; step++)
        {
            var logits = model.Forward(ids.Narrow(1, 0, 11));
            var loss = Tensor.CrossEntropy(logits.Reshape(-1, 30), ids.Narrow(1, 1, 11).Reshape(-1));
            if (step == 0) first = loss.Item();
            last = loss.Item();
            loss.Backward();
            optimizer.Step();
            optimizer.ZeroGrad();
        }
        Assert.True(last < first * 0.5, $"loss {first} → {last}");
    }
}

public sealed class LoraGradientTests
{
    [Fact]
    public void AdapterGradientsInsideAModelMatchFiniteDifferences()
    {
        var config = new GptConfig { VocabSize = 12, NPositions = 8, NEmbd = 8, NLayer = 1, NHead = 2, EmbdPdrop = 0, AttnPdrop = 0, ResidPdrop = 0 };
        var model = new GptModel(config, new Generator(1));
        Lora.Apply(model, new LoraConfig { Rank = 2, Alpha = 4, TargetModules = ["c_attn", "c_fc"] }, new Generator(2));
        foreach (var (_, layer) in Lora.Adapted(model))
            using (Autograd.NoGrad.Enter()) layer.Lora!.B.Weight.CopyFrom(Tensor.Randn([layer.OutFeatures, 2], new Generator(3)).Mul(0.3f));
        var ids = Tensor.RandInt(0, 12, [2, 6], new Generator(4));
        double Loss()
        {
            using var _ = Autograd.NoGrad.Enter();
            return Tensor.CrossEntropy(model.Forward(ids.Narrow(1, 0, 5)).Reshape(-1, 12), ids.Narrow(1, 1, 5).Reshape(-1)).Item();
        }
        Tensor.CrossEntropy(model.Forward(ids.Narrow(1, 0, 5)).Reshape(-1, 12), ids.Narrow(1, 1, 5).Reshape(-1)).Backward();
        foreach (var (name, p) in model.NamedParameters().Where(p => p.Parameter.RequiresGrad))
        {
            var grad = p.Grad!.ToArray();
            var values = p.ToArray();
            for (int i = 0; i < Math.Min(values.Length, 6); i++)
            {
                const float eps = 1e-2f;
                double Probe(float delta)
                {
                    var v = (float[])values.Clone();
                    v[i] += delta;
                    using (Autograd.NoGrad.Enter()) p.CopyFrom(Tensor.FromArray(v, p.Shape.ToArray()));
                    return Loss();
                }
                double numeric = (Probe(eps) - Probe(-eps)) / (2 * eps);
                using (Autograd.NoGrad.Enter()) p.CopyFrom(Tensor.FromArray(values, p.Shape.ToArray()));
                Assert.True(Math.Abs(numeric - grad[i]) < 2e-3 + 2e-2 * Math.Abs(numeric), $"{name}[{i}]: autograd {grad[i]}, finite differences {numeric}");
            }
        }
    }
}
