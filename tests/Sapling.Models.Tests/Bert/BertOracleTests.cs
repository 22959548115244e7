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
            weights[w.Name] = Read(w.Value);
        model.LoadStateDict(weights);
        model.Eval();
        Tensor Ids(string name)
        {
            var rows = root.GetProperty(name).EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetInt64()).ToArray()).ToArray();
            return Tensor.FromArray(rows.SelectMany(r => r).ToArray(), rows.Length, rows[0].Length);
        }
        using var _ = NoGrad.Enter();
        var (hidden, pooled) = model.Forward(Ids("input_ids"), Ids("attention_mask"), Ids("token_type_ids"));
        foreach (var (name, actual) in new[] { ("last_hidden_state", hidden), ("pooler_output", pooled!) })
        {
            var expected = Read(root.GetProperty(name));
            Assert.Equal(expected.Shape.ToArray(), actual.Shape.ToArray());
            var a = actual.Contiguous().ToArray<float>();
            var e = expected.Contiguous().ToArray<float>();
            double worst = 0;
            for (int i = 0; i < a.Length; i++) worst = Math.Max(worst, Math.Abs(a[i] - e[i]));
            output.WriteLine($"{name}: largest difference from PyTorch {worst:E2}");
            Assert.True(worst <= 1e-4, $"{name} differs from PyTorch by {worst:E3}");
        }
    }

    private static Tensor Read(JsonElement e)
    {
        var shape = e.GetProperty("shape").EnumerateArray().Select(d => d.GetInt32()).ToArray();
        var data = e.GetProperty("data").EnumerateArray().Select(v => v.GetSingle()).ToArray();
        return Tensor.FromArray(data, shape);
    }
}
