using Sapling.Inference;
using Sapling.Models;
using Sapling.Models.T5;
using Sapling.Data.Text;

namespace Sapling.Cli.Tests;

/// <summary><c>sapling translate</c> on a T5 folder: one output line per input line (empty lines kept), the same text
/// the library's translator gives, the folder's generation_config.json as the default search; an int8 copy translates;
/// verbs that do not take an encoder-decoder refuse it by name.</summary>
[Collection("cli")]
public sealed class TranslateCommandTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("sapling-cli-translate-").FullName;

    public void Dispose() => Directory.Delete(root, recursive: true);

    private string Folder()
    {
        var folder = Path.Combine(root, "t5");
        var tokenizer = CharTokenizer.Train(["the quick brown fox", "el zorro marron"]).WithSpecialTokens(["<pad>"]);
        var config = new T5Config
        {
            VocabSize = tokenizer.VocabSize, DModel = 16, DKv = 8, DFf = 32, NumLayers = 1, NumDecoderLayers = 1, NumHeads = 2,
            PadTokenId = tokenizer.IdOf("<pad>"), EosTokenId = tokenizer.EndOfTextId, DecoderStartTokenId = tokenizer.IdOf("<pad>"),
        };
        new T5ForConditionalGeneration(config, new Generator(2)).Save(folder);
        tokenizer.Save(Path.Combine(folder, "tokenizer.json"));
        File.WriteAllText(Path.Combine(folder, "generation_config.json"), """{"num_beams": 3, "max_length": 9}""");
        return folder;
    }

    [Fact]
    public void TranslatePrintsALinePerInputLineAsTheLibraryDoes()
    {
        var folder = Folder();
        var input = Path.Combine(root, "in.txt");
        File.WriteAllLines(input, ["the fox", "", "quick brown fox"]);
        var output = Path.Combine(root, "out.txt");
        var (code, _, error) = CliRunner.Run("translate", "--model", folder, "--input", input, "--out", output);
        Assert.True(code == 0, error);
        Assert.Contains("3 beams", error);
        var lines = File.ReadAllLines(output);
        Assert.Equal(3, lines.Length);
        Assert.Equal("", lines[1]);
        var defaults = Seq2SeqGenerationOptions.FromFolder(folder);
        Assert.Equal((3, 8), (defaults.NumBeams, defaults.MaxNewTokens));
        var translator = new Seq2SeqTranslator(ModelRegistry.LoadSeq2SeqLM(folder), ModelRegistry.LoadTokenizer(folder)!);
        var expected = translator.Translate(["the fox", "quick brown fox"], defaults);
        Assert.Equal(expected[0].ReplaceLineEndings(" "), lines[0]);
        Assert.Equal(expected[1].ReplaceLineEndings(" "), lines[2]);

        (code, var printed, error) = CliRunner.Run("translate", "--model", folder, "--text", "the fox", "--num-beams", "1", "--max-new-tokens", "4");
        Assert.True(code == 0, error);
        Assert.Equal(translator.Translate(["the fox"], new Seq2SeqGenerationOptions { MaxNewTokens = 4 })[0].ReplaceLineEndings(" "), printed.TrimEnd('\n'));
    }

    /// <summary>sapling quantize writes an int8 folder that translate and export read (export refuses int8 by name).</summary>
    [Fact]
    public void QuantizedFolderTranslates()
    {
        var folder = Folder();
        var quantized = Path.Combine(root, "q");
        var (code, _, error) = CliRunner.Run("quantize", "--model", folder, "--out", quantized);
        Assert.True(code == 0, error);
        Assert.Contains("\"quantization\"", File.ReadAllText(Path.Combine(quantized, "config.json")));
        (code, _, error) = CliRunner.Run("translate", "--model", quantized, "--text", "the fox");
        Assert.True(code == 0, error);
        (code, _, error) = CliRunner.Run("export", "--model", quantized, "--format", "onnx", "--out", Path.Combine(root, "onnx"));
        Assert.NotEqual(0, code);
        Assert.Contains("int8", error);
    }

    [Fact]
    public void OtherVerbsRefuseAnEncoderDecoderByName()
    {
        var folder = Folder();
        var (code, _, error) = CliRunner.Run("eval", "--model", folder, "--data", Path.Combine(root, "nothing.tsv"));
        Assert.NotEqual(0, code);
        Assert.Contains("sapling translate", error);
        (code, _, error) = CliRunner.Run("embed", "--model", folder, "--input", Path.Combine(root, "nothing.txt"), "--out", Path.Combine(root, "e.jsonl"));
        Assert.NotEqual(0, code);
        (code, _, error) = CliRunner.Run("translate", "--model", folder);
        Assert.NotEqual(0, code);
        Assert.Contains("--text", error);
        (code, _, error) = CliRunner.Run("translate", "--model", folder, "--text", "fox", "--num-beams", "0");
        Assert.NotEqual(0, code);
        Assert.Contains("num_beams", error);
    }
}
