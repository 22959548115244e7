using System.Text.Json;
using Sapling.Autograd;
using Sapling.Models.DistilBert;
using Sapling.Testing;
using Xunit.Abstractions;

namespace Sapling.Models.Tests.DistilBert;

/// <summary>
/// DistilBertForSequenceClassification against a PyTorch oracle written to transformers' modeling_distilbert
/// (tests/fixtures/make_distilbert_fixtures.py): a right-padded batch, hidden states of the real tokens and logits within
/// 1e-4; the folder loads back through the registry as a text classifier, and its encoder as a text encoder.
/// </summary>
public sealed class DistilBertOracleTests(ITestOutputHelper output)
{
    [Fact]
    public void HiddenStatesAndLogitsMatchPyTorch()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Fixtures.Directory, "distilbert.json")));
        var root = doc.RootElement;
        var config = DistilBertConfig.FromJson(root.GetProperty("config").GetRawText(), "distilbert.json config");
        Assert.True(config.IsSequenceClassifier);
        var model = new DistilBertForSequenceClassification(config);
        var weights = new Dictionary<string, Tensor>();
        foreach (var w in root.GetProperty("weights").EnumerateObject()) weights[w.Name] = Fixtures.ReadFloatTensor(w.Value);
        model.LoadStateDict(weights);
        model.Eval();
        Tensor Ids(string name) => Fixtures.ReadIdRows(root.GetProperty(name));
        var ids = Ids("input_ids");
        var mask = Ids("attention_mask");
        using (NoGrad.Enter())
        {
            var hidden = model.Distilbert.Forward(ids, mask);
            var logits = model.Forward(ids, mask);
            foreach (var (name, actual) in new[] { ("last_hidden_state", hidden), ("logits", logits) })
            {
                var e = Fixtures.ReadFloatTensor(root.GetProperty(name)).ToArray<float>();
                var a = actual.Contiguous().ToArray<float>();
                // Padded positions' states are not compared: transformers computes them from padding too, but nothing reads them.
                double worst = 0;
                int width = name == "logits" ? 2 : 24, t = ids.Shape[1];
                var m = mask.ToArray<long>();
                for (int i = 0; i < a.Length; i++)
                    if (name == "logits" || m[i / width] == 1) worst = Math.Max(worst, Math.Abs(a[i] - e[i]));
                output.WriteLine($"{name}: largest difference from PyTorch {worst:E2}");
                Assert.True(worst <= 1e-4, $"{name} differs from PyTorch by {worst:E3}");
            }
        }

        var dir = Directory.CreateTempSubdirectory("sapling-distilbert-").FullName;
        try
        {
            model.Save(dir);
            Assert.Equal(ModelKind.TextClassifier, ModelFolder.KindOf(dir));
            var keys = IO.SafeTensors.LoadAll(Path.Combine(dir, "model.safetensors")).Keys.ToHashSet();
            Assert.Contains("distilbert.transformer.layer.1.attention.q_lin.weight", keys);
            Assert.Contains("pre_classifier.weight", keys);
            var loaded = Assert.IsType<DistilBertForSequenceClassification>(ModelRegistry.LoadSequenceClassifier(dir));
            Assert.Equal(["ham", "spam"], loaded.Labels);
            float[] direct, again;
            using (NoGrad.Enter())
            {
                direct = model.Forward(ids, mask).ToArray<float>();
                again = loaded.Classify(ids, [6, 4]).ToArray<float>();
            }
            Assert.Equal(direct, again);
            // The bare encoder (for embeddings or a new head) loads from it too, without the classifier.
            Assert.Equal("distilbert", ModelRegistry.LoadTextEncoder(dir).ModelType);
            Assert.Equal(4, loaded.Head.Parameters().Count()); // pre_classifier and classifier, weights and biases
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
    [Fact]
    public void TokenClassifierMatchesPyTorch()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Fixtures.Directory, "distilbert.json")));
        var root = doc.RootElement;
        var head = root.GetProperty("token_classifier");
        var config = DistilBertConfig.FromJson(root.GetProperty("config").GetRawText(), "distilbert.json config") with { Labels = ["COMMA", "PERIOD", "O"] };
        var model = new DistilBertForTokenClassification(config);
        var weights = new Dictionary<string, Tensor>();
        foreach (var w in root.GetProperty("weights").EnumerateObject())
            if (w.Name.StartsWith("distilbert.", StringComparison.Ordinal)) weights[w.Name] = Fixtures.ReadFloatTensor(w.Value);
        foreach (var w in head.GetProperty("weights").EnumerateObject()) weights[w.Name] = Fixtures.ReadFloatTensor(w.Value);
        model.LoadStateDict(weights);
        model.Eval();
        var ids = Fixtures.ReadIdRows(root.GetProperty("input_ids"));
        var mask = Fixtures.ReadIdRows(root.GetProperty("attention_mask"));
        var expected = Fixtures.ReadFloatTensor(head.GetProperty("logits")).ToArray<float>();
        float[] logits;
        using (NoGrad.Enter()) logits = model.ClassifyTokens(ids, [6, 4]).ToArray<float>();
        var m = mask.ToArray<long>();
        double worst = 0;
        for (int i = 0; i < logits.Length; i++)
            if (m[i / 3] == 1) worst = Math.Max(worst, Math.Abs(logits[i] - expected[i]));
        output.WriteLine($"token logits: largest difference from PyTorch {worst:E2}");
        Assert.True(worst <= 1e-4, $"token logits differ from PyTorch by {worst:E3}");

        var dir = Directory.CreateTempSubdirectory("sapling-distilbert-tagger-").FullName;
        try
        {
            model.Save(dir);
            Assert.Equal(ModelKind.TokenClassifier, ModelFolder.KindOf(dir));
            Assert.Contains("\"DistilBertForTokenClassification\"", File.ReadAllText(Path.Combine(dir, "config.json")));
            var loaded = Assert.IsType<DistilBertForTokenClassification>(ModelRegistry.LoadTokenClassifier(dir));
            Assert.Equal(["COMMA", "PERIOD", "O"], loaded.Labels);
            float[] again;
            using (NoGrad.Enter()) again = loaded.ClassifyTokens(ids, [6, 4]).ToArray<float>();
            Assert.Equal(logits, again);
            // A new tagger on the folder's encoder (what token_classify fine-tuning starts from) reads the same encoder.
            var fresh = ModelRegistry.NewTokenClassifier(dir, new NewClassifierHead(["X", "Y"], 0, "last", new Generator(1)));
            var encoder = Assert.IsType<DistilBertForTokenClassification>(fresh).Distilbert;
            using (NoGrad.Enter())
                Assert.Equal(model.Distilbert.Forward(ids, mask).ToArray<float>(), encoder.Forward(ids, mask).ToArray<float>());
            Assert.Throws<InvalidDataException>(() => ModelRegistry.LoadSequenceClassifier(dir));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void AnAttentionMaskOfAnotherShapeIsRefusedByName()
    {
        var config = new DistilBertConfig { VocabSize = 50, Dim = 16, NLayers = 1, NHeads = 2, HiddenDim = 32, MaxPositionEmbeddings = 16 };
        var model = new DistilBertModel(config, new Generator(1));
        using var ids = Tensor.FromArray(new long[] { 1, 2, 3, 4, 5, 6 }, 2, 3);
        using var mask = Tensor.FromArray(new long[] { 1, 1, 1, 1 }, 2, 2);
        Assert.Contains("attention_mask", Assert.Throws<ArgumentException>(() => model.Forward(ids, mask)).Message);
    }
}
