using Sapling.Autograd;
using Sapling.Export.Import;
using Sapling.Export.Tests.Import;
using Sapling.Models.Bert;
using Sapling.Models.DistilBert;
using Sapling.Models.Roberta;
using Xunit.Abstractions;

namespace Sapling.Export.Tests;

/// <summary>
/// BERT and RoBERTa exported to ONNX and run by ONNX Runtime (in process) on a right-padded batch: the same hidden
/// states at the real tokens, pooled output and classifier logits as Sapling within 1e-4; an exported BERT is
/// recognised again by the importer.
/// </summary>
public sealed class BertOnnxExportTests(ITestOutputHelper output) : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("sapling-bert-onnx-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    private static readonly long[] Ids = [2, 17, 45, 38, 9, 3, 2, 61, 5, 3, 0, 0];
    private static readonly long[] Mask = [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0];
    private static readonly long[] Types = [0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0];

    // Head width 16: the importer tries the head widths real checkpoints use (16 to 128).
    private static BertConfig Small(string type = BertConfig.Type) => new()
    {
        ModelType = type, VocabSize = 70, HiddenSize = 32, NumHiddenLayers = 2, NumAttentionHeads = 2, IntermediateSize = 40,
        MaxPositionEmbeddings = 24, TypeVocabSize = type == BertConfig.Type ? 2 : 1, PadTokenId = type == BertConfig.Type ? 0 : 1,
    };

    private double Worst(string name, float[] expected, float[] actual, int width, long[]? mask)
    {
        double worst = 0;
        for (int i = 0; i < expected.Length; i++)
            if (mask == null || mask[i / width] == 1) worst = Math.Max(worst, Math.Abs(expected[i] - actual[i]));
        output.WriteLine($"{name}: largest difference from ONNX Runtime {worst:E2}");
        return worst;
    }

    [Fact]
    public void BertEncoderAndClassifierMatchOnnxRuntime()
    {
        var model = new BertModel(Small(), new Generator(3));
        model.Eval();
        var feeds = new Dictionary<string, Tensor>
        {
            ["input_ids"] = Tensor.FromArray(Ids, 2, 6), ["attention_mask"] = Tensor.FromArray(Mask, 2, 6), ["token_type_ids"] = Tensor.FromArray(Types, 2, 6),
        };
        var exported = OnnxExporter.Export(model);
        var ort = InProcessOnnxRuntime.Run(exported, feeds);
        using (NoGrad.Enter())
        {
            var (hidden, pooled) = model.Forward(feeds["input_ids"], feeds["attention_mask"], feeds["token_type_ids"]);
            Assert.True(Worst("last_hidden_state", hidden.ToArray<float>(), ort["last_hidden_state"].ToArray<float>(), 32, Mask) <= 1e-4);
            Assert.True(Worst("pooler_output", pooled!.ToArray<float>(), ort["pooler_output"].ToArray<float>(), 32, null) <= 1e-4);
        }

        var classifier = BertForSequenceClassification.FromEncoder(model, ["ham", "spam", "other"], new Generator(4));
        classifier.Eval();
        var logits = InProcessOnnxRuntime.Run(OnnxExporter.Export((Models.ISequenceClassifier)classifier), feeds)["logits"].ToArray<float>();
        using (NoGrad.Enter())
            Assert.True(Worst("logits", classifier.Forward(feeds["input_ids"], feeds["attention_mask"], feeds["token_type_ids"]).ToArray<float>(), logits, 3, null) <= 1e-4);

        // The exported file is a BERT to the importer too: it maps back onto BertModel.
        var file = Path.Combine(directory, "bert.onnx");
        OnnxModelFile.Save(exported, file);
        var imported = OnnxImporter.Import(file, Path.Combine(directory, "imported"));
        Assert.True(imported.Kind == "bert", imported.Description);
    }

    [Fact]
    public void TokenClassifiersMatchOnnxRuntime()
    {
        foreach (var type in new[] { BertConfig.Type, BertConfig.RobertaType })
        {
            var tagger = new BertForTokenClassification(Small(type) with { Labels = ["B-PER", "I-PER", "O"] }, new Generator(6));
            tagger.Eval();
            var ids = type == BertConfig.Type ? Ids : Ids.Select(v => v == 0 ? 1L : v).ToArray();
            var feeds = new Dictionary<string, Tensor> { ["input_ids"] = Tensor.FromArray(ids, 2, 6), ["attention_mask"] = Tensor.FromArray(Mask, 2, 6) };
            if (type == BertConfig.Type) feeds["token_type_ids"] = Tensor.FromArray(Types, 2, 6);
            var exported = OnnxExporter.Export(tagger);
            var logits = InProcessOnnxRuntime.Run(exported, feeds)["logits"];
            Assert.Equal([2, 6, 3], logits.Shape.ToArray());
            using (NoGrad.Enter())
                Assert.True(Worst($"{type} token logits", tagger.Forward(feeds["input_ids"], feeds["attention_mask"], feeds.GetValueOrDefault("token_type_ids")).ToArray<float>(), logits.ToArray<float>(), 3, Mask) <= 1e-4);
        }
    }

    [Fact]
    public void RobertaClassifierMatchesOnnxRuntime()
    {
        var roberta = new RobertaForSequenceClassification(Small(BertConfig.RobertaType) with { Labels = ["negative", "positive"], Architectures = ["RobertaForSequenceClassification"] }, new Generator(5));
        roberta.Eval();
        var ids = Ids.Select(v => v == 0 ? 1L : v).ToArray();   // RoBERTa pads with id 1
        var feeds = new Dictionary<string, Tensor> { ["input_ids"] = Tensor.FromArray(ids, 2, 6), ["attention_mask"] = Tensor.FromArray(Mask, 2, 6) };
        var logits = InProcessOnnxRuntime.Run(OnnxExporter.Export((Models.ISequenceClassifier)roberta), feeds)["logits"].ToArray<float>();
        using (NoGrad.Enter())
            Assert.True(Worst("roberta logits", roberta.Forward(feeds["input_ids"], feeds["attention_mask"]).ToArray<float>(), logits, 2, null) <= 1e-4);
    }
    [Fact]
    public void DistilBertEncoderAndHeadsMatchOnnxRuntime()
    {
        var config = new DistilBertConfig { VocabSize = 70, Dim = 32, NLayers = 2, NHeads = 2, HiddenDim = 40, MaxPositionEmbeddings = 24 };
        var feeds = new Dictionary<string, Tensor> { ["input_ids"] = Tensor.FromArray(Ids, 2, 6), ["attention_mask"] = Tensor.FromArray(Mask, 2, 6) };
        var encoder = new DistilBertModel(config, new Generator(7));
        encoder.Eval();
        var hidden = InProcessOnnxRuntime.Run(OnnxExporter.Export(encoder), feeds)["last_hidden_state"];
        Assert.Equal([2, 6, 32], hidden.Shape.ToArray());
        using (NoGrad.Enter())
            Assert.True(Worst("distilbert last_hidden_state", encoder.Forward(feeds["input_ids"], feeds["attention_mask"]).ToArray<float>(), hidden.ToArray<float>(), 32, Mask) <= 1e-4);

        var classifier = DistilBertForSequenceClassification.FromEncoder(encoder, ["ham", "spam", "other"], new Generator(8));
        classifier.Eval();
        var logits = InProcessOnnxRuntime.Run(OnnxExporter.Export((Models.ISequenceClassifier)classifier), feeds)["logits"].ToArray<float>();
        using (NoGrad.Enter())
            Assert.True(Worst("distilbert logits", classifier.Forward(feeds["input_ids"], feeds["attention_mask"]).ToArray<float>(), logits, 3, null) <= 1e-4);

        var tagger = DistilBertForTokenClassification.FromEncoder(encoder, ["B-PER", "I-PER", "O", "B-LOC"], new Generator(9));
        tagger.Eval();
        var tags = InProcessOnnxRuntime.Run(OnnxExporter.Export((Models.ITokenClassifier)tagger), feeds)["logits"];
        Assert.Equal([2, 6, 4], tags.Shape.ToArray());
        using (NoGrad.Enter())
            Assert.True(Worst("distilbert token logits", tagger.Forward(feeds["input_ids"], feeds["attention_mask"]).ToArray<float>(), tags.ToArray<float>(), 4, Mask) <= 1e-4);

        // From a folder, as `sapling export --format onnx` does.
        var folder = Path.Combine(directory, "distilbert-tagger");
        tagger.Save(folder);
        var fromFolder = InProcessOnnxRuntime.Run(OnnxExporter.ExportFolder(folder), feeds)["logits"].ToArray<float>();
        Assert.True(Worst("distilbert token logits from the folder", tags.ToArray<float>(), fromFolder, 4, Mask) <= 1e-6);

        // An int8 folder is refused by name before anything is read: the graphs are float32.
        var configPath = Path.Combine(folder, "config.json");
        File.WriteAllText(configPath, File.ReadAllText(configPath).TrimEnd().TrimEnd('}') + ", \"quantization\": {\"modules\": []}}");
        var refused = Assert.Throws<NotSupportedException>(() => OnnxExporter.ExportFolder(folder));
        Assert.Contains(folder, refused.Message);
        Assert.Contains("int8-quantized", refused.Message);
    }
}
