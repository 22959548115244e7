using Sapling.Inference.Compression;
using Sapling.IO;
using Sapling.Models;
using Sapling.Models.Bert;
using Sapling.Models.DistilBert;
using Sapling.Models.Roberta;

namespace Sapling.Inference.Tests.Compression;

/// <summary>
/// sapling quantize on encoders: every Linear and the word embeddings of a BERT, RoBERTa or DistilBERT folder become int8 with
/// per-channel scales, the folder loads back through the registry and gives nearly the float model's outputs.
/// </summary>
public sealed class EncoderQuantizationTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("sapling-quantize-bert-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    private static BertConfig Small(string type) => new()
    {
        ModelType = type, VocabSize = 60, HiddenSize = 32, NumHiddenLayers = 2, NumAttentionHeads = 2, IntermediateSize = 64,
        MaxPositionEmbeddings = 24, TypeVocabSize = type == BertConfig.Type ? 2 : 1, PadTokenId = type == BertConfig.Type ? 0 : 1,
    };

    [Theory]
    [InlineData(BertConfig.Type)]
    [InlineData(BertConfig.RobertaType)]
    public void AQuantizedClassifierLoadsAndAgrees(string type)
    {
        var config = Small(type) with { Labels = ["a", "b", "c"], Architectures = [type == BertConfig.Type ? "BertForSequenceClassification" : "RobertaForSequenceClassification"] };
        ISequenceClassifier model = type == BertConfig.Type ? new BertForSequenceClassification(config, new Generator(1)) : new RobertaForSequenceClassification(config, new Generator(1));
        var source = Path.Combine(directory, "float");
        var target = Path.Combine(directory, "int8");
        model.Save(source);
        var summary = Quantizer.QuantizeFolder(source, target);
        Assert.Contains(type + ".encoder.layer.1.output.dense", summary.Modules);
        Assert.Contains(type + ".embeddings.word_embeddings", summary.Modules);
        Assert.DoesNotContain(summary.Modules, m => m.EndsWith("position_embeddings", StringComparison.Ordinal));
        Assert.Equal(DType.Int8, SafeTensors.LoadAll(Path.Combine(target, "model.safetensors"))[type + ".encoder.layer.0.attention.self.query.weight"].DType);

        var ids = Tensor.FromArray(new long[] { 2, 17, 45, 38, 9, 3, 2, 11, 5, 3, 8, 8 }, 2, 6);
        var quantized = ModelRegistry.LoadSequenceClassifier(target);
        var original = ModelRegistry.LoadSequenceClassifier(source);
        float[] a, b;
        using (Autograd.NoGrad.Enter())
        {
            a = original.Classify(ids, [6, 4]).ToArray<float>();
            b = quantized.Classify(ids, [6, 4]).ToArray<float>();
        }
        double scale = a.Max(Math.Abs);
        for (int i = 0; i < a.Length; i++) Assert.True(Math.Abs(a[i] - b[i]) <= 0.05 * scale + 1e-3, $"logit {i}: float {a[i]}, int8 {b[i]}");
        // The encoder alone (for embeddings) loads from the quantized classifier's folder too.
        Assert.Equal(32, ModelRegistry.LoadTextEncoder(target).HiddenSize);
        var e = Assert.Throws<InvalidDataException>(() => Quantizer.QuantizeFolder(target, Path.Combine(directory, "twice")));
        Assert.Contains("already int8-quantized", e.Message);
    }
    private static readonly DistilBertConfig Distil = new() { VocabSize = 60, Dim = 32, NLayers = 2, NHeads = 2, HiddenDim = 64, MaxPositionEmbeddings = 24 };

    private static void AssertClose(float[] a, float[] b, string what)
    {
        double scale = a.Max(Math.Abs);
        for (int i = 0; i < a.Length; i++) Assert.True(Math.Abs(a[i] - b[i]) <= 0.05 * scale + 1e-3, $"{what} {i}: float {a[i]}, int8 {b[i]}");
    }

    [Fact]
    public void QuantizedDistilBertClassifiersAndEncoderLoadAndAgree()
    {
        var ids = Tensor.FromArray(new long[] { 2, 17, 45, 38, 9, 3, 2, 11, 5, 3, 0, 0 }, 2, 6);
        int[] lengths = [6, 4];
        var folders = new (string Name, Action<string> Save)[]
        {
            ("sequence", dir => new DistilBertForSequenceClassification(Distil with { Labels = ["a", "b", "c"] }, new Generator(1)).Save(dir)),
            ("token", dir => new DistilBertForTokenClassification(Distil with { Labels = ["x", "y", "z"] }, new Generator(2)).Save(dir)),
            ("encoder", dir => DistilBertFolder.Save(dir, new DistilBertModel(Distil, new Generator(3)))),
        };
        foreach (var (name, save) in folders)
        {
            var source = Path.Combine(directory, name + "-float");
            var target = Path.Combine(directory, name + "-int8");
            save(source);
            var summary = Quantizer.QuantizeFolder(source, target);
            var prefix = name == "encoder" ? "" : "distilbert.";
            Assert.Contains(prefix + "transformer.layer.1.ffn.lin2", summary.Modules);
            Assert.Contains(prefix + "embeddings.word_embeddings", summary.Modules);
            Assert.DoesNotContain(summary.Modules, m => m.EndsWith("position_embeddings", StringComparison.Ordinal));
            Assert.Equal(DType.Int8, SafeTensors.LoadAll(Path.Combine(target, "model.safetensors"))[prefix + "transformer.layer.0.attention.q_lin.weight"].DType);
            using (Autograd.NoGrad.Enter())
            {
                if (name == "sequence")
                    AssertClose(ModelRegistry.LoadSequenceClassifier(source).Classify(ids, lengths).ToArray<float>(), ModelRegistry.LoadSequenceClassifier(target).Classify(ids, lengths).ToArray<float>(), "logit");
                else if (name == "token")
                    AssertClose(ModelRegistry.LoadTokenClassifier(source).ClassifyTokens(ids, lengths).Narrow(1, 0, 4).Contiguous().ToArray<float>(),
                        ModelRegistry.LoadTokenClassifier(target).ClassifyTokens(ids, lengths).Narrow(1, 0, 4).Contiguous().ToArray<float>(), "token logit");
                var mask = Tensor.FromArray(new long[] { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0 }, 2, 6);
                // The encoder alone (for embeddings) loads from every quantized folder.
                AssertClose(ModelRegistry.LoadTextEncoder(source).Encode(ids, mask).Narrow(1, 0, 4).Contiguous().ToArray<float>(),
                    ModelRegistry.LoadTextEncoder(target).Encode(ids, mask).Narrow(1, 0, 4).Contiguous().ToArray<float>(), "hidden state");
            }
            Assert.Contains("already int8-quantized", Assert.Throws<InvalidDataException>(() => Quantizer.QuantizeFolder(target, Path.Combine(directory, name + "-twice"))).Message);
        }
    }
}
