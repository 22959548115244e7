using System.Text.Json;
using Sapling.Models.Gpt;
using Sapling.Data.Text;

namespace Sapling.Cli.Tests;

[Collection("cli")]
public sealed class GenerationMetricEvalTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("sapling-cli-genmetrics-").FullName;

    public void Dispose() => Directory.Delete(root, recursive: true);

    private string Write(string name, params string[] lines)
    {
        var path = Path.Combine(root, name);
        File.WriteAllLines(path, lines);
        return path;
    }

    [Fact]
    public void BleuOfChinesePoemLinesWithTwoReferenceFilesMatchesNltk()
    {
        // Case "chinese_tang_poems" of tests/fixtures/generation_metrics.json: NLTK's corpus_bleu gives 0.914755...
        var hyp = Write("hyp.txt", "床前明月光，疑是地上霜。", "举头望明月，低头思故乡。", "白日依山尽，黄河入海流。");
        var ref1 = Write("ref1.txt", "床前明月光，疑是地上霜。", "举头望山月，低头思故乡。", "白日依山尽，黄河东海流。");
        var ref2 = Write("ref2.txt", "床前明月光，疑是地上霜。", "举头望山月，低头思故乡。", "白日落山尽，黄河入海流。");
        var (code, output, error) = CliRunner.Run("eval", "--metric", "bleu", "--hypotheses", hyp, "--references", ref1, "--references", ref2, "--json");
        Assert.True(code == 0, error);
        using var result = JsonDocument.Parse(output);
        var expected = Fixture("chinese_tang_poems").GetProperty("bleu").GetProperty("method0").GetDouble();
        Assert.Equal(expected, result.RootElement.GetProperty("score").GetDouble(), 1e-9);
        Assert.Equal(2, result.RootElement.GetProperty("references_per_line").GetInt32());

        (code, output, error) = CliRunner.Run("eval", "--metric", "bleu", "--hypotheses", hyp, "--references", ref1, "--tokenize", "whitespace", "--smoothing", "epsilon");
        Assert.True(code == 0, error);
        Assert.Contains("BLEU", output);
        Assert.Contains("tokenize whitespace, smoothing method1", output);
    }

    [Fact]
    public void ChrFRougeAndExactMatchPrintTheirScores()
    {
        var hyp = Write("hyp.txt", "the cat sat on the mat", " Paris ");
        var refs = Write("ref.txt", "the cat is on the mat", "paris");
        var (code, output, error) = CliRunner.Run("eval", "--metric", "chrf", "--hypotheses", hyp, "--references", refs);
        Assert.True(code == 0, error);
        Assert.Contains("chrF2", output);

        (code, output, error) = CliRunner.Run("eval", "--metric", "rouge-l", "--hypotheses", hyp, "--references", refs, "--json");
        Assert.True(code == 0, error);
        using (var result = JsonDocument.Parse(output))
            Assert.Equal((5.0 / 6 + 0) / 2, result.RootElement.GetProperty("score").GetDouble(), 1e-12);

        (code, output, error) = CliRunner.Run("eval", "--metric", "exact-match", "--hypotheses", hyp, "--references", refs, "--normalize", "all", "--json");
        Assert.True(code == 0, error);
        using (var result = JsonDocument.Parse(output))
            Assert.Equal(0.5, result.RootElement.GetProperty("score").GetDouble());
        (code, output, _) = CliRunner.Run("eval", "--metric", "exact-match", "--hypotheses", hyp, "--references", refs);
        Assert.Contains("0 of 2", output);
    }

    [Fact]
    public void FilesWithDifferentLineCountsAreNamed()
    {
        var hyp = Write("hyp.txt", "a", "b", "c");
        var refs = Write("short.txt", "a", "b");
        var (code, _, error) = CliRunner.Run("eval", "--metric", "bleu", "--hypotheses", hyp, "--references", refs);
        Assert.Equal(2, code);
        Assert.Contains("short.txt has 2 lines but hypotheses file", error);
        Assert.Contains("has 3", error);
    }

    [Fact]
    public void EmptyAndMissingFilesAreNamed()
    {
        var hyp = Write("hyp.txt", "a");
        var empty = Write("empty.txt");
        var (code, _, error) = CliRunner.Run("eval", "--metric", "chrf", "--hypotheses", hyp, "--references", empty);
        Assert.Equal(2, code);
        Assert.Contains("references file", error);
        Assert.Contains("empty.txt is empty", error);

        (code, _, error) = CliRunner.Run("eval", "--metric", "bleu", "--hypotheses", Path.Combine(root, "nope.txt"), "--references", hyp);
        Assert.Equal(2, code);
        Assert.Contains("hypotheses file not found", error);
        Assert.Contains("nope.txt", error);
    }

    [Fact]
    public void UnknownMetricAndMissingPiecesAreClearErrors()
    {
        var hyp = Write("hyp.txt", "a");
        var (code, _, error) = CliRunner.Run("eval", "--metric", "meteor", "--hypotheses", hyp, "--references", hyp);
        Assert.Equal(2, code);
        Assert.Contains("unknown metric 'meteor'", error);
        Assert.Contains("bleu, chrf, rouge-l, exact-match", error);

        (code, _, error) = CliRunner.Run("eval", "--metric", "bleu", "--hypotheses", hyp);
        Assert.Equal(2, code);
        Assert.Contains("needs --references", error);

        (code, _, error) = CliRunner.Run("eval", "--metric", "bleu", "--references", hyp);
        Assert.Equal(2, code);
        Assert.Contains("needs --hypotheses", error);

        (code, _, error) = CliRunner.Run("eval", "--metric", "bleu", "--hypotheses", hyp, "--references", hyp, "--tokenize", "words");
        Assert.Equal(2, code);
        Assert.Contains("unknown tokenization 'words'", error);

        (code, _, error) = CliRunner.Run("eval", "--metric", "bleu", "--hypotheses", hyp, "--references", hyp, "--smoothing", "method9");
        Assert.Equal(2, code);
        Assert.Contains("unknown BLEU smoothing", error);

        (code, _, error) = CliRunner.Run("eval", "--metric", "bleu", "--model", root, "--hypotheses", hyp, "--references", hyp);
        Assert.Equal(2, code);
        Assert.Contains("--model and --data do not apply", error);
    }

    [Fact]
    public void ModelFormStillNeedsModelAndData()
    {
        var (code, _, error) = CliRunner.Run("eval", "--data", "digits");
        Assert.Equal(2, code);
        Assert.Contains("missing --model", error);
        Assert.Contains("--metric", error);

        (code, _, error) = CliRunner.Run("eval", "--metric", "perplexity", "--model", root);
        Assert.Equal(2, code);
        Assert.Contains("--metric perplexity needs", error);
        Assert.Contains("missing --data", error);

        (code, _, error) = CliRunner.Run("eval", "--metric", "perplexity", "--model", root, "--data", "digits");
        Assert.Equal(2, code);
        Assert.Contains("needs a language model", error);
    }

    [Fact]
    public void PerplexityMetricIsTheLanguageModelForm()
    {
        var tokenizer = CharTokenizer.Train(["春眠不觉晓处处闻啼鸟"]);
        var model = new GptModel(new GptConfig { VocabSize = tokenizer.VocabSize, NPositions = 8, NEmbd = 8, NLayer = 1, NHead = 2 }, new Generator(1));
        var folder = Path.Combine(root, "lm");
        GptFolder.Save(folder, model);
        tokenizer.Save(Path.Combine(folder, "tokenizer.json"));
        var text = Write("poem.txt", "春眠不觉晓，处处闻啼鸟。春眠不觉晓");
        var (code, output, error) = CliRunner.Run("eval", "--metric", "perplexity", "--model", folder, "--data", text, "--json");
        Assert.True(code == 0, error);
        using var result = JsonDocument.Parse(output);
        Assert.True(result.RootElement.GetProperty("perplexity").GetDouble() > 1);
    }

    private static JsonElement Fixture(string name)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(Path.Combine(Sapling.Testing.Fixtures.Directory, "generation_metrics.json")));
        return document.RootElement.GetProperty("cases").EnumerateArray().Single(c => c.GetProperty("name").GetString() == name).Clone();
    }
}
