using System.Text.Json;
using Sapling.Autograd;
using Sapling.Models.Bert;
using Sapling.Testing;
using Xunit.Abstractions;

namespace Sapling.Models.Tests.Bert;

/// <summary>
/// BertModel against a PyTorch oracle written to Hugging Face's modeling_bert (tests/fixtures/make_bert_fixtures.py):
/// the same random weights under the same names, a padded batch with an attention mask and token types; the hidden
/// states of every position and the pooled output agree within 1e-4.
/// </summary>
public sealed class BertOracleTests(ITestOutputHelper output)
{
    [Fact]
    public void HiddenStatesAndPooledOutputMatchPyTorch()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Fixtures.Directory, "bert.json")));
        var root = doc.RootElement;
        var config = BertConfig.FromJson(root.GetProperty("config").GetRawText(), "bert.json config");
        var model = new BertModel(config);
        var weights = new Dictionary<string, Tensor>();
        foreach (var w in root.GetProperty("weights").EnumerateObject())
            weights[w.Name] = Fixtures.ReadFloatTensor(w.Value);
        model.LoadStateDict(weights);
        model.Eval();
        Tensor Ids(string name) => Fixtures.ReadIdRows(root.GetProperty(name));
        using var _ = NoGrad.Enter();
        var (hidden, pooled) = model.Forward(Ids("input_ids"), Ids("attention_mask"), Ids("token_type_ids"));
        foreach (var (name, actual) in new[] { ("last_hidden_state", hidden), ("pooler_output", pooled!) })
        {
            var expected = Fixtures.ReadFloatTensor(root.GetProperty(name));
            Assert.Equal(expected.Shape.ToArray(), actual.Shape.ToArray());
            var a = actual.Contiguous().ToArray<float>();
            var e = expected.Contiguous().ToArray<float>();
            double worst = 0;
            for (int i = 0; i < a.Length; i++) worst = Math.Max(worst, Math.Abs(a[i] - e[i]));
            output.WriteLine($"{name}: largest difference from PyTorch {worst:E2}");
            Assert.True(worst <= 1e-4, $"{name} differs from PyTorch by {worst:E3}");
        }
    }

    /// <summary>BertForSequenceClassification: the oracle's head on the pooled output gives the same logits, and the
    /// model saved as a folder (transformers' names, architectures and id2label in config.json) loads back through the
    /// registry as a text classifier with the same logits.</summary>
    [Fact]
    public void SequenceClassifierLogitsMatchPyTorchAndSurviveTheFolder()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Fixtures.Directory, "bert.json")));
        var root = doc.RootElement;
        var config = BertConfig.FromJson(root.GetProperty("config").GetRawText(), "bert.json config") with
        {
            Labels = ["ham", "spam", "other"], Architectures = ["BertForSequenceClassification"],
        };
        var model = new BertForSequenceClassification(config);
        var weights = new Dictionary<string, Tensor>();
        foreach (var w in root.GetProperty("weights").EnumerateObject()) weights["bert." + w.Name] = Fixtures.ReadFloatTensor(w.Value);
        foreach (var w in root.GetProperty("classifier_weights").EnumerateObject()) weights[w.Name] = Fixtures.ReadFloatTensor(w.Value);
        model.LoadStateDict(weights);
        model.Eval();
        Tensor Ids(string name) => Fixtures.ReadIdRows(root.GetProperty(name));
        var expected = Fixtures.ReadFloatTensor(root.GetProperty("logits")).ToArray<float>();
        float[] logits;
        using (NoGrad.Enter()) logits = model.Forward(Ids("input_ids"), Ids("attention_mask"), Ids("token_type_ids")).ToArray<float>();
        double worst = expected.Zip(logits).Max(p => Math.Abs(p.First - p.Second));
        output.WriteLine($"logits: largest difference from PyTorch {worst:E2}");
        Assert.True(worst <= 1e-4, $"logits differ from PyTorch by {worst:E3}");

        var dir = Directory.CreateTempSubdirectory("sapling-bert-cls-").FullName;
        try
        {
            model.Save(dir);
            Assert.Equal(ModelKind.TextClassifier, ModelFolder.KindOf(dir));
            var loaded = ModelRegistry.LoadSequenceClassifier(dir);
            Assert.Equal(["ham", "spam", "other"], loaded.Labels);
            // Only the second row's types are all 0, as Classify assumes (one sentence per text).
            var one = Tensor.FromArray(new long[] { 2, 61, 5, 0, 0, 0 }, 1, 6);
            float[] again, direct;
            using (NoGrad.Enter())
            {
                again = loaded.Classify(one, [3]).ToArray<float>();
                direct = model.Forward(one, Tensor.FromArray(new long[] { 1, 1, 1, 0, 0, 0 }, 1, 6)).ToArray<float>();
            }
            Assert.Equal(direct, again);
            Assert.Equal(expected[3..], again.Select(v => (float)Math.Round(v, 4)).ToArray(), (a, b) => Math.Abs(a - b) <= 1e-4);
            // The bare encoder loads from the classifier's folder too (the head is left out).
            Assert.Null(BertFolder.Load(dir).Config.Labels.FirstOrDefault());
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>BertForMaskedLM: the oracle's prediction head (dense, GELU, LayerNorm, tied decoder, bias) gives the same
    /// token logits at every position, and the folder keeps only what transformers keeps (no decoder copy).</summary>
    [Fact]
    public void MaskedLmLogitsMatchPyTorchAndSurviveTheFolder()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Fixtures.Directory, "bert.json")));
        var root = doc.RootElement;
        var config = BertConfig.FromJson(root.GetProperty("config").GetRawText(), "bert.json config");
        var model = new BertForMaskedLM(config);
        var weights = new Dictionary<string, Tensor>();
        foreach (var w in root.GetProperty("weights").EnumerateObject())
            if (!w.Name.StartsWith("pooler.", StringComparison.Ordinal)) weights["bert." + w.Name] = Fixtures.ReadFloatTensor(w.Value);
        foreach (var w in root.GetProperty("mlm_weights").EnumerateObject()) weights[w.Name] = Fixtures.ReadFloatTensor(w.Value);
        model.LoadStateDict(weights);
        model.Eval();
        Tensor Ids(string name) => Fixtures.ReadIdRows(root.GetProperty(name));
        var expected = Fixtures.ReadFloatTensor(root.GetProperty("mlm_logits")).ToArray<float>();
        float[] logits;
        // The oracle reads the fixture's token types, which Forward (one sentence per row) does not take.
        using (NoGrad.Enter())
        {
            var (hidden, _) = model.Bert.Forward(Ids("input_ids"), Ids("attention_mask"), Ids("token_type_ids"));
            logits = model.Cls.Predictions.Forward(hidden).ToArray<float>();
        }
        double worst = expected.Zip(logits).Max(p => Math.Abs(p.First - p.Second));
        output.WriteLine($"MLM logits: largest difference from PyTorch {worst:E2} over {expected.Length} values");
        Assert.True(worst <= 1e-4, $"MLM logits differ from PyTorch by {worst:E3}");

        var dir = Directory.CreateTempSubdirectory("sapling-bert-mlm-").FullName;
        try
        {
            model.Save(dir);
            var keys = IO.SafeTensors.LoadAll(Path.Combine(dir, "model.safetensors")).Keys.ToHashSet();
            Assert.Contains("cls.predictions.bias", keys);
            Assert.Contains("cls.predictions.transform.LayerNorm.weight", keys);
            Assert.DoesNotContain(keys, k => k.StartsWith("cls.predictions.decoder", StringComparison.Ordinal) || k.StartsWith("bert.pooler", StringComparison.Ordinal));
            var loaded = BertFolder.LoadForMaskedLM(dir);
            float[] again;
            using (NoGrad.Enter())
            {
                var (hidden, _) = loaded.Bert.Forward(Ids("input_ids"), Ids("attention_mask"), Ids("token_type_ids"));
                again = loaded.Cls.Predictions.Forward(hidden).ToArray<float>();
            }
            Assert.Equal(logits, again);
            // A classifier put on it gets a fresh pooler (transformers does the same) and keeps the encoder's weights.
            var classifier = BertForSequenceClassification.FromEncoder(BertFolder.Load(dir).WithPooler(new Generator(1)), ["a", "b"], new Generator(2));
            Assert.Equal(loaded.Bert.Embeddings.WordEmbeddings.Weight.ToArray<float>(), classifier.Bert.Embeddings.WordEmbeddings.Weight.ToArray<float>());
            Assert.NotNull(classifier.Bert.Pooler);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>BertForTokenClassification: the oracle's linear head on every token's state gives the same scores on the
    /// padded batch; the folder (transformers' names, no pooler) loads back through the registry as a token classifier,
    /// and as a RoBERTa folder the encoder sits under "roberta.".</summary>
    [Fact]
    public void TokenClassifierScoresMatchPyTorchAndSurviveTheFolder()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Fixtures.Directory, "bert.json")));
        var root = doc.RootElement;
        var config = BertConfig.FromJson(root.GetProperty("config").GetRawText(), "bert.json config") with { Labels = ["B-PER", "I-PER", "O", "B-LOC"] };
        var model = new BertForTokenClassification(config);
        var weights = new Dictionary<string, Tensor>();
        foreach (var w in root.GetProperty("weights").EnumerateObject())
            if (!w.Name.StartsWith("pooler.", StringComparison.Ordinal)) weights["bert." + w.Name] = Fixtures.ReadFloatTensor(w.Value);
        foreach (var w in root.GetProperty("token_classifier_weights").EnumerateObject()) weights[w.Name] = Fixtures.ReadFloatTensor(w.Value);
        model.LoadStateDict(weights);
        model.Eval();
        Tensor Ids(string name) => Fixtures.ReadIdRows(root.GetProperty(name));
        var expected = Fixtures.ReadFloatTensor(root.GetProperty("token_logits"));
        Tensor scores;
        using (NoGrad.Enter()) scores = model.Forward(Ids("input_ids"), Ids("attention_mask"), Ids("token_type_ids"));
        Assert.Equal(expected.Shape.ToArray(), scores.Shape.ToArray());
        var e = expected.ToArray<float>();
        var a = scores.ToArray<float>();
        // Padded positions get scores too (transformers computes them); only the real tokens matter, but all must agree.
        double worst = e.Zip(a).Max(p => Math.Abs(p.First - p.Second));
        output.WriteLine($"token scores: largest difference from PyTorch {worst:E2}");
        Assert.True(worst <= 1e-4, $"token scores differ from PyTorch by {worst:E3}");

        var dir = Directory.CreateTempSubdirectory("sapling-bert-tok-").FullName;
        try
        {
            model.Save(dir);
            Assert.Equal(ModelKind.TokenClassifier, ModelFolder.KindOf(dir));
            var keys = IO.SafeTensors.LoadAll(Path.Combine(dir, "model.safetensors")).Keys.ToHashSet();
            Assert.Contains("classifier.weight", keys);
            Assert.Contains("bert.encoder.layer.0.attention.self.query.weight", keys);
            Assert.DoesNotContain(keys, k => k.Contains("pooler", StringComparison.Ordinal));
            var loaded = ModelRegistry.LoadTokenClassifier(dir);
            Assert.Equal(["B-PER", "I-PER", "O", "B-LOC"], loaded.Labels);
            var one = Tensor.FromArray(new long[] { 2, 61, 5, 0, 0, 0 }, 1, 6);
            float[] again;
            using (NoGrad.Enter()) again = loaded.ClassifyTokens(one, [3]).ToArray<float>();
            for (int i = 0; i < 3 * 4; i++) Assert.True(Math.Abs(again[i] - e[6 * 4 + i]) <= 1e-4, $"score {i}: {again[i]} vs {e[6 * 4 + i]}");
            // The encoder alone loads from the tagger's folder too (the head is left out).
            Assert.Empty(BertFolder.Load(dir).Config.Labels);

            var roberta = new BertForTokenClassification(config with { ModelType = BertConfig.RobertaType, PadTokenId = 1 }, new Generator(5));
            roberta.Save(dir);
            Assert.Equal("RobertaForTokenClassification", BertFolder.ReadConfig(dir).Architectures.Single());
            Assert.Contains("roberta.embeddings.word_embeddings.weight", IO.SafeTensors.LoadAll(Path.Combine(dir, "model.safetensors")).Keys);
            Assert.Equal(ModelKind.TokenClassifier, ModelFolder.KindOf(dir));
            Assert.Equal("roberta", ModelRegistry.LoadTokenClassifier(dir).ModelType);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void ProblemTypesOtherThanSingleLabelAreRefused()
    {
        var e = Assert.Throws<InvalidDataException>(() => BertConfig.FromJson("""{"model_type": "bert", "problem_type": "multi_label_classification"}""", "config.json"));
        Assert.Contains("problem_type", e.Message);
        e = Assert.Throws<InvalidDataException>(() => BertConfig.FromJson("""{"model_type": "bert", "architectures": ["BertForSequenceClassification"], "id2label": {"0": "only"}}""", "config.json"));
        Assert.Contains("at least 2 classes", e.Message);
    }
}
