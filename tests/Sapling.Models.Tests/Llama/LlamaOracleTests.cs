using System.Text.Json;
using Sapling.Memory;
using Sapling.Models.Llama;
using Sapling.Testing;

namespace Sapling.Models.Tests.Llama;

/// <summary>
/// Llama, Mistral, Qwen2 and Qwen3 against the reference forward pass of tests/fixtures/make_llama_fixtures.py (written
/// from the papers and the config semantics): logits of a batch and a greedy continuation decoded with the KV cache.
/// </summary>
public class LlamaOracleTests
{
    public static TheoryData<string> Cases => new(Directory.GetDirectories(Path.Combine(Fixtures.Directory, "llama")).Select(Path.GetFileName).Order(StringComparer.Ordinal)!);

    private static (string Folder, JsonElement Expected) Case(string name)
    {
        string folder = Path.Combine(Fixtures.Directory, "llama", name);
        return (folder, JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "expected.json"))).RootElement);
    }

    private static Tensor Ids(JsonElement e)
    {
        var rows = e.EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetInt64()).ToArray()).ToArray();
        return Tensor.FromArray(rows.SelectMany(r => r).ToArray(), rows.Length, rows[0].Length);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void LogitsMatchTheReference(string name)
    {
        var (folder, expected) = Case(name);
        foreach (var storage in new[] { WeightStorage.Mapped, WeightStorage.Native, WeightStorage.Float32 })
        {
            var model = LlamaFolder.Load(folder, storage);
            using var _ = Autograd.NoGrad.Enter();
            var logits = model.Forward(Ids(expected.GetProperty("ids")));
            var want = expected.GetProperty("logits").EnumerateArray().Select(v => v.GetSingle()).ToArray();
            TensorAssert.Close(want, logits, rtol: 1e-4f, atol: 1e-4f, what: $"{name} ({storage})");
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void GreedyDecodingWithTheCacheMatchesTheReference(string name)
    {
        var (folder, expected) = Case(name);
        if (expected.GetProperty("greedy").ValueKind == JsonValueKind.Null) return; // dynamic NTK: the reference has no cached form
        var model = LlamaFolder.Load(folder);
        using var _ = Autograd.NoGrad.Enter();
        var prompt = expected.GetProperty("prompt").EnumerateArray().Select(v => v.GetInt64()).ToList();
        var cache = model.NewCache(1, 64);
        var logits = model.LastPositionLogits(Tensor.FromArray(prompt.ToArray(), 1, prompt.Count), cache);
        var generated = new List<int>();
        for (int step = 0; step < 8; step++)
        {
            int next = ArgMax(logits.ToArray());
            generated.Add(next);
            logits = model.LastPositionLogits(Tensor.FromArray(new long[] { next }, 1, 1), cache);
        }
        Assert.Equal(expected.GetProperty("greedy").EnumerateArray().Select(v => v.GetInt32()), generated);
    }

    [Fact]
    public void Bf16WeightsStayTwoBytesWideInPlace()
    {
        var model = LlamaFolder.Load(Path.Combine(Fixtures.Directory, "llama", "llama-bf16"));
        var q = model.Model.Layers[0].SelfAttn.QProj.Weight;
        Assert.Equal(DType.BFloat16, q.DType);
        Assert.Equal(StorageKind.Mapped, q.StorageKind);
        Assert.False(q.RequiresGrad);
        Assert.Equal(DType.Float32, model.Model.Norm.Weight.DType);
    }

    [Fact]
    public void ShardedWeightsLoadFromTheIndex()
    {
        var model = LlamaFolder.Load(Path.Combine(Fixtures.Directory, "llama", "qwen2-sharded"));
        Assert.Equal("qwen2", model.ModelType);
        Assert.NotNull(model.Model.Layers[1].SelfAttn.QProj.Bias);
        Assert.Null(model.Model.Layers[1].SelfAttn.OProj.Bias);
        Assert.Null(model.LmHead);
    }

    private static int ArgMax(float[] v)
    {
        int best = 0;
        for (int i = 1; i < v.Length; i++) if (v[i] > v[best]) best = i;
        return best;
    }
}

/// <summary>Training through the Llama model: gradient checkpointing changes memory, not the gradients.</summary>
public class LlamaTrainingStepTests
{
    [Fact]
    public void GradientCheckpointingGivesTheSameLossAndGradients()
    {
        var config = LlamaConfig.FromJson(File.ReadAllText(Path.Combine(Fixtures.Directory, "llama", "qwen3", "config.json")), "qwen3 config");
        var ids = Tensor.FromArray(Enumerable.Range(0, 2 * 9).Select(i => (long)(i * 7 % config.VocabSize)).ToArray(), 2, 9);
        var targets = ids.Narrow(1, 1, 8).Reshape(-1);
        Dictionary<string, Tensor> Step(bool checkpointing, out float loss)
        {
            var model = new LlamaForCausalLM(config, new Generator(3)) { GradientCheckpointing = checkpointing };
            model.Train();
            var logits = model.Forward(ids.Narrow(1, 0, 8));
            var l = Tensor.CrossEntropy(logits.Reshape(-1, config.VocabSize), targets);
            l.Backward();
            loss = l.Item();
            return model.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter.Grad!);
        }
        var plain = Step(false, out float plainLoss);
        var checkpointed = Step(true, out float checkpointedLoss);
        Assert.Equal(plainLoss, checkpointedLoss);
        foreach (var (name, grad) in plain) TensorAssert.Close(grad, checkpointed[name], 1e-5f, 1e-6f, name);
    }
}
