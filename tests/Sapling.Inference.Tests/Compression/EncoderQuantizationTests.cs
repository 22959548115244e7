using Sapling.Inference.Compression;
using Sapling.IO;
using Sapling.Models;
using Sapling.Models.Bert;
using Sapling.Models.Roberta;

namespace Sapling.Inference.Tests.Compression;

/// <summary>
/// sapling quantize on encoders: every Linear and the word embeddings of a BERT or RoBERTa folder become int8 with
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
}
