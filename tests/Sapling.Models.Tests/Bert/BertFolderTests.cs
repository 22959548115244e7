using Sapling.Autograd;
using Sapling.IO;
using Sapling.Models.Bert;

namespace Sapling.Models.Tests.Bert;

/// <summary>BERT folders in Hugging Face's layout: round trip, prefixed checkpoints, padding that changes nothing, config keys refused by name.</summary>
public sealed class BertFolderTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("sapling-bert-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    private static BertConfig Small => new() { VocabSize = 50, HiddenSize = 16, NumHiddenLayers = 2, NumAttentionHeads = 4, IntermediateSize = 32, MaxPositionEmbeddings = 20 };

    [Fact]
    public void SavesAndLoadsUnderHuggingFaceNames()
    {
        var model = new BertModel(Small, new Generator(1));
        model.Eval(); // a new module trains (dropout on), as in PyTorch; a loaded one evaluates
        BertFolder.Save(directory, model);
        var keys = SafeTensors.LoadAll(Path.Combine(directory, "model.safetensors")).Keys.ToHashSet();
        Assert.Contains("embeddings.word_embeddings.weight", keys);
        Assert.Contains("encoder.layer.1.attention.self.query.weight", keys);
        Assert.Contains("encoder.layer.1.attention.output.LayerNorm.bias", keys);
        Assert.Contains("encoder.layer.0.intermediate.dense.weight", keys);
        Assert.Contains("encoder.layer.0.output.dense.bias", keys);
        Assert.Contains("pooler.dense.weight", keys);
        var loaded = BertFolder.Load(directory);
        var ids = Tensor.FromArray(new long[] { 2, 7, 9, 11, 3, 4 }, 2, 3);
        using var _ = NoGrad.Enter();
        Assert.Equal(model.Forward(ids).LastHiddenState.Contiguous().ToArray<float>(), loaded.Forward(ids).LastHiddenState.Contiguous().ToArray<float>());
    }

    [Fact]
    public void PrefixedCheckpointWithTaskHeadLoads()
    {
        var model = new BertModel(Small, new Generator(2));
        var state = model.StateDict().ToDictionary(p => "bert." + p.Key, p => p.Value);
        state["bert.embeddings.position_ids"] = Tensor.ArangeLong(20).Unsqueeze(0);
        state["cls.predictions.bias"] = Tensor.Zeros(50);
        SafeTensors.Save(Path.Combine(directory, "model.safetensors"), state);
        File.WriteAllText(Path.Combine(directory, "config.json"), Small.ToJson());
        Assert.Equal(2, BertFolder.Load(directory).Config.NumHiddenLayers);
    }

    [Fact]
    public void PaddingDoesNotChangeTheRealTokens()
    {
        var model = new BertModel(Small, new Generator(3));
        model.Eval();
        using var _ = NoGrad.Enter();
        var alone = model.Forward(Tensor.FromArray(new long[] { 2, 7, 9 }, 1, 3)).LastHiddenState.Contiguous().ToArray<float>();
        var padded = model.Forward(Tensor.FromArray(new long[] { 2, 7, 9, 0, 0 }, 1, 5), Tensor.FromArray(new long[] { 1, 1, 1, 0, 0 }, 1, 5)).LastHiddenState;
        var first = padded.Narrow(1, 0, 3).Contiguous().ToArray<float>();
        for (int i = 0; i < alone.Length; i++) Assert.Equal(alone[i], first[i], 5);
    }

    [Fact]
    public void UnsupportedKeysAreRefusedByName()
    {
        var e = Assert.Throws<InvalidDataException>(() => BertConfig.FromJson("""{"model_type": "bert", "hidden_act": "relu"}""", "config.json"));
        Assert.Contains("hidden_act", e.Message);
        e = Assert.Throws<InvalidDataException>(() => BertConfig.FromJson("""{"model_type": "bert", "position_embedding_type": "relative_key"}""", "config.json"));
        Assert.Contains("position_embedding_type", e.Message);
        e = Assert.Throws<InvalidDataException>(() => BertConfig.FromJson("""{"model_type": "bert", "hidden_size": 10, "num_attention_heads": 3}""", "config.json"));
        Assert.Contains("not divisible", e.Message);
    }
}
