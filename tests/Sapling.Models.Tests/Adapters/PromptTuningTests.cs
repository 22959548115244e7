using Sapling.Models.Adapters;
using Sapling.Models.Gpt;
using Sapling.Optim;
using Sapling.Testing;

namespace Sapling.Models.Tests.Adapters;

public sealed class PromptTuningTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("sapling-prompt-").FullName;

    public void Dispose() => Directory.Delete(root, recursive: true);

    private static readonly GptConfig Small = new() { VocabSize = 40, NPositions = 24, NEmbd = 16, NLayer = 2, NHead = 2, EmbdPdrop = 0, AttnPdrop = 0, ResidPdrop = 0 };

    private static GptModel Tuned(int virtualTokens = 4)
    {
        var model = new GptModel(Small, new Generator(1));
        foreach (var p in model.Parameters()) p.RequiresGrad = false;
        model.AddPromptTuning(Tensor.Randn([virtualTokens, Small.NEmbd], new Generator(2)).Mul(0.5f));
        return model;
    }

    [Fact]
    public void VirtualTokensComeFirstAtPositionsZeroOnward()
    {
        var model = Tuned();
        model.Eval();
        var ids = Tensor.RandInt(0, Small.VocabSize, [2, 6], new Generator(3));
        var logits = model.Forward(ids);
        Assert.Equal([2, 6, Small.VocabSize], logits.Shape.ToArray());

        // The same computation by hand: the prompt's embeddings, then the tokens', position embeddings 0..9.
        var embedded = Tensor.Cat([model.PromptEmbeddings!.Unsqueeze(0).Expand(2, 4, Small.NEmbd), model.Wte.Forward(ids)], dim: 1)
            .Add(model.Wpe.Forward(Tensor.ArangeLong(10)));
        var x = embedded;
        foreach (var block in model.Blocks) x = block.Forward(x);
        var expected = model.LnF.Forward(x).Narrow(1, 4, 6).MatMul(model.Wte.Weight.T());
        TensorAssert.Close(expected, logits, rtol: 1e-5f, atol: 1e-5f);
    }

    [Fact]
    public void GenerationWithACacheMatchesFullRecomputation()
    {
        var model = Tuned();
        model.Eval();
        var ids = Tensor.FromArray(new long[] { 1, 2, 3, 4, 5 }, 1, 5);
        var full = model.Forward(ids).Narrow(1, 4, 1);
        var cache = model.NewCache(1);
        model.Forward(ids.Narrow(1, 0, 4), cache);
        Assert.Equal(8, cache.Length); // 4 virtual + 4 real positions
        TensorAssert.Close(full, model.Forward(ids.Narrow(1, 4, 1), cache), rtol: 1e-5f, atol: 1e-5f);
    }

    [Fact]
    public void TrainingMovesOnlyThePromptAndLeavesTheBaseWeightsBitIdentical()
    {
        var model = Tuned();
        var before = model.StateDict().Where(e => e.Key != "prompt_embeddings").ToDictionary(e => e.Key, e => e.Value.ToArray());
        var prompt = model.PromptEmbeddings!.ToArray();
        var optimizer = new AdamW(model.Parameters().Where(p => p.RequiresGrad), lr: 0.05);
        var ids = Tensor.RandInt(0, Small.VocabSize, [2, 8], new Generator(4));
        for (int step = 0; step < 3; step++)
        {
            var logits = model.Forward(ids);
            Tensor.CrossEntropy(logits.Narrow(1, 0, 7).Reshape(-1, Small.VocabSize), ids.Narrow(1, 1, 7).Reshape(-1)).Backward();
            optimizer.Step();
            optimizer.ZeroGrad();
        }
        foreach (var (name, values) in before) Assert.True(values.SequenceEqual(model.StateDict()[name].ToArray()), $"{name} changed");
        Assert.False(prompt.SequenceEqual(model.PromptEmbeddings!.ToArray()), "the prompt embeddings must train");
    }

    [Fact]
    public void APromptAdapterRoundTripsInPeftsFormat()
    {
        var model = Tuned(virtualTokens: 3);
        model.Eval();
        var ids = Tensor.RandInt(0, Small.VocabSize, [1, 7], new Generator(5));
        var expected = model.Forward(ids);
        var basePath = Path.Combine(root, "base");
        GptFolder.Save(basePath, model);
        Assert.DoesNotContain("prompt_embeddings", IO.SafeTensors.LoadAll(Path.Combine(basePath, "model.safetensors"), DType.Float32).Keys);
        var adapter = Path.Combine(root, "prompt");
        PeftAdapter.SavePromptTuning(adapter, model, basePath);
        var description = PeftAdapter.Read(adapter);
        Assert.Equal("PROMPT_TUNING", description.PeftType);
        Assert.Equal(3, description.VirtualTokens);
        Assert.Equal([3, Small.NEmbd], IO.SafeTensors.LoadAll(Path.Combine(adapter, PeftAdapter.WeightsFile), DType.Float32)["prompt_embeddings"].Shape.ToArray());
        TensorAssert.Close(expected, PeftAdapter.LoadModel(basePath, adapter).Forward(ids), rtol: 1e-6f, atol: 1e-6f);
    }

    [Fact]
    public void TheVirtualTokensCountAgainstTheContext()
    {
        var model = Tuned(virtualTokens: 4);
        var error = Assert.Throws<ArgumentException>(() => model.Forward(Tensor.Zeros([1, 21], DType.Int64)));
        Assert.Contains("4 virtual tokens", error.Message);
        Assert.Contains("24", error.Message);
    }
}
