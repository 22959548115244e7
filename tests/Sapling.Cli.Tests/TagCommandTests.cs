using System.Text.Json;
using Sapling.Models.Bert;

namespace Sapling.Cli.Tests;

/// <summary><c>sapling tag</c> and <c>sapling eval</c> on a token-classifier folder: one tag per word, entities from B-/I-
/// chunks, and the scores eval prints agree with the tags tag prints.</summary>
[Collection("cli")]
public sealed class TagCommandTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("sapling-cli-tag-").FullName;

    public void Dispose() => Directory.Delete(root, recursive: true);

    private string Tagger()
    {
        var folder = Path.Combine(root, "tagger");
        var vocab = new[] { "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "alpha", "bravo", "##bravo", "new", "york", "kilo" };
        var config = new BertConfig { VocabSize = vocab.Length, HiddenSize = 16, NumHiddenLayers = 1, NumAttentionHeads = 2, IntermediateSize = 32, MaxPositionEmbeddings = 32, Labels = ["B-LOC", "I-LOC", "O"] };
        new BertForTokenClassification(config, new Generator(4)).Save(folder);
        File.WriteAllLines(Path.Combine(folder, "vocab.txt"), vocab);
        return folder;
    }

    [Fact]
    public void TagPrintsATagPerWordAndEvalScoresThem()
    {
        var folder = Tagger();
        var input = Path.Combine(root, "text.txt");
        File.WriteAllLines(input, ["alpha new york kilo", "Alphabravo   kilo"]);
        var (code, output, error) = CliRunner.Run("tag", "--model", folder, "--input", input, "--json");
        Assert.True(code == 0, error);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        var tags = new List<string[]>();
        foreach (var line in lines)
        {
            using var doc = JsonDocument.Parse(line);
            var words = doc.RootElement.GetProperty("words").EnumerateArray().Select(w => w.GetString()!).ToArray();
            var wordTags = doc.RootElement.GetProperty("tags").EnumerateArray().Select(t => t.GetString()!).ToArray();
            Assert.Equal(words.Length, wordTags.Length);
            Assert.All(wordTags, t => Assert.Contains(t, new[] { "B-LOC", "I-LOC", "O" }));
            Assert.True(doc.RootElement.TryGetProperty("entities", out _));
            tags.Add(wordTags);
        }
        Assert.Equal(["Alphabravo", "kilo"], JsonDocument.Parse(lines[1]).RootElement.GetProperty("words").EnumerateArray().Select(w => w.GetString()));

        (code, output, _) = CliRunner.Run("tag", "--model", folder, "--text", "new york");
        Assert.Equal(0, code);
        Assert.Matches(@"^new/\S+ york/\S+\s*$", output);

        // The predictions as the truth: eval must find every word right.
        var conll = Path.Combine(root, "gold.conll");
        File.WriteAllText(conll, string.Join("\n\n", new[] { "alpha new york kilo", "Alphabravo kilo" }.Select((s, i) => string.Join("\n", s.Split(' ').Zip(tags[i], (w, t) => $"{w}\t{t}")))) + "\n");
        (code, output, error) = CliRunner.Run("eval", "--model", folder, "--data", conll, "--json");
        Assert.True(code == 0, error);
        using var report = JsonDocument.Parse(output);
        Assert.Equal(1.0, report.RootElement.GetProperty("words").GetProperty("accuracy").GetDouble());
        Assert.Equal(6, report.RootElement.GetProperty("words").GetProperty("support").GetInt64());

        File.WriteAllText(conll, "alpha\tB-PER\n");
        (code, _, error) = CliRunner.Run("eval", "--model", folder, "--data", conll);
        Assert.NotEqual(0, code);
        Assert.Contains("B-PER", error);
        (code, _, error) = CliRunner.Run("tag", "--model", folder);
        Assert.NotEqual(0, code);
        Assert.Contains("--text", error);
    }

    /// <summary>int8 quantisation and ONNX export take a token-classifier folder like the other BERT folders.</summary>
    [Fact]
    public void QuantizeAndExportTakeATokenClassifier()
    {
        var folder = Tagger();
        var quantized = Path.Combine(root, "q");
        var (code, _, error) = CliRunner.Run("quantize", "--model", folder, "--out", quantized);
        Assert.True(code == 0, error);
        Assert.Contains("\"quantization\"", File.ReadAllText(Path.Combine(quantized, "config.json")));
        (code, var output, error) = CliRunner.Run("tag", "--model", quantized, "--text", "alpha new york kilo");
        Assert.True(code == 0, error);
        Assert.Matches(@"^alpha/\S+ new/\S+ york/\S+ kilo/\S+\s*$", output);
        var onnx = Path.Combine(root, "tagger.onnx");
        (code, _, error) = CliRunner.Run("export", "--model", folder, "--format", "onnx", "--out", onnx);
        Assert.True(code == 0, error);
        Assert.True(new FileInfo(onnx).Length > 1000);
    }
}
