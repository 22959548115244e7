using System.Text.Json;
using Sapling.Models.Gpt;
using Sapling.Data.Text;

namespace Sapling.Cli.Tests;

[Collection("cli")]
public sealed class TextClassifierEvalTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("sapling-cli-textclf-").FullName;

    public void Dispose() => Directory.Delete(root, recursive: true);

    [Fact]
    public void EvalScoresAGptClassifierOnLabelledJsonl()
    {
        var tokenizer = CharTokenizer.Train(["spam ham buy now hello"]);
        var model = new GptModel(new GptConfig { VocabSize = tokenizer.VocabSize, NPositions = 16, NEmbd = 8, NLayer = 1, NHead = 2 }, new Generator(1));
        model.AddClassificationHead(["ham", "spam"], tokenizer.EndOfTextId);
        var folder = Path.Combine(root, "model");
        GptFolder.Save(folder, model);
        tokenizer.Save(Path.Combine(folder, "tokenizer.json"));
        var data = Path.Combine(root, "mail.jsonl");
        File.WriteAllLines(data, [
            """{"text": "Subject: buy\n\nbuy now", "label": "spam"}""",
            """{"text": "hello", "label": "ham"}""",
            """{"text": "hello", "label": "eggs"}""",
            """{"label": "ham"}""",
        ]);
        var (code, output, error) = CliRunner.Run("eval", "--model", folder, "--data", data, "--strip-headers", "--json");
        Assert.True(code == 0, error);
        Assert.Contains("2 rows skipped", error);
        Assert.Contains("line 3", error);
        using var report = JsonDocument.Parse(output);
        Assert.Equal(2, report.RootElement.GetProperty("support").GetInt64());
        Assert.Equal(2, report.RootElement.GetProperty("per_class").GetArrayLength());

        (code, output, _) = CliRunner.Run("eval", "--model", folder, "--data", data);
        Assert.Equal(0, code);
        Assert.Contains("spam", output);
    }
}
