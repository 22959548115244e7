using System.Text.Json;
using Sapling.Autograd;
using Sapling.Models.Bert;
using Sapling.Models.Roberta;
using Sapling.Testing;
using Xunit.Abstractions;

namespace Sapling.Models.Tests.Roberta;

/// <summary>
/// RobertaForSequenceClassification against a PyTorch oracle written to transformers' modeling_roberta
/// (tests/fixtures/make_roberta_fixtures.py): positions counted from the padding id in a right-padded batch, hidden
/// states and logits within 1e-4; the folder loads back through the registry as a text classifier.
/// </summary>
public sealed class RobertaOracleTests(ITestOutputHelper output)
{
    [Fact]
    public void HiddenStatesAndLogitsMatchPyTorch()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Fixtures.Directory, "roberta.json")));
        var root = doc.RootElement;
        var config = BertConfig.FromJson(root.GetProperty("config").GetRawText(), "roberta.json config");
        Assert.True(config.IsSequenceClassifier);
        var model = new RobertaForSequenceClassification(config);
        var weights = new Dictionary<string, Tensor>();
        foreach (var w in root.GetProperty("weights").EnumerateObject()) weights[w.Name] = Fixtures.ReadFloatTensor(w.Value);
        model.LoadStateDict(weights);
        model.Eval();
        Tensor Ids(string name) => Fixtures.ReadIdRows(root.GetProperty(name));
        var ids = Ids("input_ids");
        var mask = Ids("attention_mask");
        using (NoGrad.Enter())
        {
            var (hidden, pooled) = model.Roberta.Forward(ids, mask);
            Assert.Null(pooled);
            var logits = model.Forward(ids, mask);
            foreach (var (name, actual) in new[] { ("last_hidden_state", hidden), ("logits", logits) })
            {
                var e = Fixtures.ReadFloatTensor(root.GetProperty(name)).ToArray<float>();
                var a = actual.Contiguous().ToArray<float>();
                // Padded positions' states are not compared: transformers computes them from padding too, but nothing reads them.
                double worst = 0;
                int width = name == "logits" ? 3 : 24, t = ids.Shape[1];
                var m = mask.ToArray<long>();
                for (int i = 0; i < a.Length; i++)
                    if (name == "logits" || m[i / width] == 1) worst = Math.Max(worst, Math.Abs(a[i] - e[i]));
                output.WriteLine($"{name}: largest difference from PyTorch {worst:E2}");
                Assert.True(worst <= 1e-4, $"{name} differs from PyTorch by {worst:E3}");
            }
        }

        var dir = Directory.CreateTempSubdirectory("sapling-roberta-").FullName;
        try
        {
            model.Save(dir);
            Assert.Equal(ModelKind.TextClassifier, ModelFolder.KindOf(dir));
            var keys = IO.SafeTensors.LoadAll(Path.Combine(dir, "model.safetensors")).Keys.ToHashSet();
            Assert.Contains("roberta.encoder.layer.1.attention.self.query.weight", keys);
            Assert.Contains("classifier.out_proj.weight", keys);
            var loaded = Assert.IsType<RobertaForSequenceClassification>(ModelRegistry.LoadSequenceClassifier(dir));
            Assert.Equal(["negative", "neutral", "positive"], loaded.Labels);
            float[] direct, again;
            using (NoGrad.Enter())
            {
                direct = model.Forward(ids, mask).ToArray<float>();
                again = loaded.Classify(ids, [6, 4]).ToArray<float>();
            }
            Assert.Equal(direct, again);
            // The bare encoder (for embeddings or a new head) loads from it too, without the classifier.
            Assert.Equal("roberta", BertFolder.Load(dir).Config.ModelType);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
