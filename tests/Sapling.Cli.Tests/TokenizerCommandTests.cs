using System.Text.Json;

namespace Sapling.Cli.Tests;

/// <summary><c>sapling tokenizer encode|decode|convert</c> over whole files, with and without special tokens, on a committed BERT fixture.</summary>
[Collection("cli")]
public sealed class TokenizerCommandTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("sapling-cli-tokenizer-").FullName;
    private static string Bert => Path.Combine(Testing.Fixtures.Directory, "tokenizers", "wordpiece-bert.json");

    public void Dispose() => Directory.Delete(root, recursive: true);

    [Fact]
    public void EncodeAFileLineByLineAndDecodeItBack()
    {
        var input = Path.Combine(root, "in.txt");
        string[] lines = ["Hello world!", "春眠不觉晓", "", "A café, naïvely."];
        File.WriteAllLines(input, lines);
        var (code, output, error) = CliRunner.Run("tokenizer", "encode", "--tokenizer", Bert, "--input", input, "--json", "--add-special-tokens");
        Assert.True(code == 0, error);
        var encoded = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonSerializer.Deserialize<int[]>(l)!).ToArray();
        Assert.Equal(lines.Length, encoded.Length);
        var tokenizer = Data.Text.Tokenization.PipelineTokenizer.Load(Bert);
        for (int i = 0; i < lines.Length; i++) Assert.Equal(tokenizer.Encode(lines[i], addSpecialTokens: true), encoded[i]);

        var ids = Path.Combine(root, "ids.txt");
        File.WriteAllText(ids, output);
        (code, output, error) = CliRunner.Run("tokenizer", "decode", "--tokenizer", Bert, "--input", ids, "--json", "--skip-special-tokens");
        Assert.True(code == 0, error);
        var texts = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonSerializer.Deserialize<string>(l)!).ToArray();
        Assert.Equal(["hello world!", "春 眠 不 觉 晓", "", "a cafe, naively."], texts);
    }

    /// <summary>`tokenizer convert` writes a SentencePiece model as tokenizer.json that gives the sentencepiece library's
    /// ids (tests/fixtures/make_sentencepiece_fixtures.py); a Marian folder, which has no such form, is refused by name.</summary>
    [Fact]
    public void ConvertWritesASentencePieceModelAsTokenizerJson()
    {
        var spm = Path.Combine(Testing.Fixtures.Directory, "sentencepiece");
        var json = Path.Combine(root, "tokenizer.json");
        var (code, _, error) = CliRunner.Run("tokenizer", "convert", "--tokenizer", Path.Combine(spm, "unigram.model"), "--out", json);
        Assert.True(code == 0, error);
        using var expected = JsonDocument.Parse(File.ReadAllText(Path.Combine(spm, "expected.json")));
        var texts = expected.RootElement.GetProperty("texts").EnumerateArray().Select(t => t.GetString()!).ToArray();
        var ids = expected.RootElement.GetProperty("unigram.model").GetProperty("ids").EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetInt32()).ToArray()).ToArray();
        var converted = Data.Text.Tokenizers.Load(json);
        for (int i = 0; i < texts.Length; i++) Assert.Equal(ids[i], converted.Encode(texts[i]));

        (code, _, error) = CliRunner.Run("tokenizer", "convert", "--tokenizer", Path.Combine(spm, "marian"), "--out", Path.Combine(root, "marian.json"));
        Assert.Equal(2, code);
        Assert.Contains("Marian", error);
    }

    [Fact]
    public void BadInputIsNamed()
    {
        var (code, _, error) = CliRunner.Run("tokenizer", "encode", "--tokenizer", Bert, "--text", "x", "--input", "y");
        Assert.Equal(2, code);
        Assert.Contains("either --text or --input", error);
        var ids = Path.Combine(root, "ids.txt");
        File.WriteAllText(ids, "[1, 2]\n[3, x]\n");
        (code, _, error) = CliRunner.Run("tokenizer", "decode", "--tokenizer", Bert, "--input", ids);
        Assert.Equal(2, code);
        Assert.Contains("ids.txt:2", error);
    }
}
