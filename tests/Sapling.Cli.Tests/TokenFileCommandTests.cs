using System.Text.Json;
using Sapling.Models.Gpt;

namespace Sapling.Cli.Tests;

[Collection("cli")]
public sealed class TokenFileCommandTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("sapling-cli-tokens-").FullName;

    public void Dispose() => Directory.Delete(root, recursive: true);

    [Fact]
    public void TokenizeWritesTheChosenWidthAndEvalReadsItBack()
    {
        var corpus = Path.Combine(root, "corpus.txt");
        File.WriteAllText(corpus, string.Join("\n%\n", Enumerable.Range(0, 40).Select(i => $"床前明月光 {i}")));
        var (code, _, error) = CliRunner.Run("tokenizer", "train", "--type", "char", "--input", corpus, "--out", Path.Combine(root, "tokenizer.json"));
        Assert.True(code == 0, error);
        var tokens = Path.Combine(root, "tokens");
        (code, var output, error) = CliRunner.Run("data", "tokenize", "--input", corpus, "--tokenizer", Path.Combine(root, "tokenizer.json"), "--out-dir", tokens, "--dtype", "uint32");
        Assert.True(code == 0, error);
        Assert.Contains("(uint32)", output);
        using (var description = JsonDocument.Parse(File.ReadAllText(Path.Combine(tokens, "tokens.json"))))
            Assert.Equal("uint32", description.RootElement.GetProperty("dtype").GetString());
        Assert.Equal(0, new FileInfo(Path.Combine(tokens, "train.bin")).Length % 4);

        var vocab = Data.Text.Tokenizers.Load(Path.Combine(root, "tokenizer.json")).VocabSize;
        var model = Path.Combine(root, "model");
        GptFolder.Save(model, new GptModel(new GptConfig { VocabSize = vocab, NPositions = 16, NEmbd = 16, NLayer = 1, NHead = 2 }, new Generator(1)));
        (code, output, error) = CliRunner.Run("eval", "--model", model, "--data", Path.Combine(tokens, "train.bin"), "--json");
        Assert.True(code == 0, error);
        using var described = JsonDocument.Parse(output);
        // An untrained model is close to uniform: read as uint16, the zero halves of uint32 ids would look nothing like that.
        Assert.InRange(described.RootElement.GetProperty("loss").GetDouble(), Math.Log(vocab) - 1, Math.Log(vocab) + 1);

        (code, _, error) = CliRunner.Run("eval", "--model", model, "--data", Path.Combine(tokens, "train.bin"), "--token-dtype", "int8");
        Assert.Equal(2, code);
        Assert.Contains("int8", error);
    }
}
