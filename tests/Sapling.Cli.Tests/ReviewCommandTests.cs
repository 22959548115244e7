using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using Sapling.Models.Classifiers;
using Sapling.Testing;

namespace Sapling.Cli.Tests;

[Collection("cli")]
public sealed class ReviewCommandTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("sapling-cli-review-").FullName;

    public void Dispose() => Directory.Delete(root, recursive: true);

    private string DigitsModel()
    {
        var folder = Path.Combine(root, "cnn");
        ClassifierFolder.Save(folder, ClassifierFolder.Create(new ClassifierConfig { ModelType = "cnn", InputShape = [1, 8, 8], Channels = [4], HiddenSize = 8, NumClasses = 10, InputScale = 16 }, new Generator(1)));
        return folder;
    }

    /// <summary>The items embedded in a sheet (the JSON in its sheet-data script element).</summary>
    private static JsonElement SheetData(string html)
    {
        var json = Regex.Match(html, "<script type=\"application/json\" id=\"sheet-data\">(.*?)</script>", RegexOptions.Singleline).Groups[1].Value;
        return JsonDocument.Parse(json).RootElement.Clone();
    }

    [Fact]
    public void ASheetHoldsAReproducibleStratifiedSample()
    {
        var model = DigitsModel();
        var sheet = Path.Combine(root, "sheet.html");
        var (code, output, error) = CliRunner.Run("review", "create", "--model", model, "--data", "digits", "--n", "30", "--seed", "3", "--out", sheet);
        Assert.True(code == 0, error);
        Assert.Contains("30 of 1797 items", output);
        var data = SheetData(File.ReadAllText(sheet));
        var items = data.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(30, items.Count);
        Assert.All(items.GroupBy(i => i.GetProperty("stratum").GetString()), g => Assert.Equal(3, g.Count()));
        Assert.All(items, i =>
        {
            Assert.Equal(8, i.GetProperty("pixels").GetArrayLength());
            Assert.Equal("label " + i.GetProperty("reference").GetString(), i.GetProperty("stratum").GetString());
            Assert.Equal(i.GetProperty("output").GetString() == i.GetProperty("reference").GetString(), i.GetProperty("auto_correct").GetBoolean());
            Assert.InRange(i.GetProperty("confidence").GetDouble(), 0.1, 1.0);
        });
        var again = Path.Combine(root, "again.html");
        CliRunner.Run("review", "create", "--model", model, "--data", "digits", "--n", "30", "--seed", "3", "--out", again);
        Assert.Equal(items.Select(i => i.GetProperty("id").GetString()), SheetData(File.ReadAllText(again)).GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetString()));

        (code, _, error) = CliRunner.Run("review", "create", "--model", model, "--data", "digits", "--stratify", "length", "--out", again);
        Assert.Equal(2, code);
        Assert.Contains("--stratify length needs text inputs", error);
        (code, _, error) = CliRunner.Run("review", "create", "--model", model, "--data", "digits", "--stratify", "mood", "--out", again);
        Assert.Equal(2, code);
        Assert.Contains("--stratify must be label, length or none", error);
    }

    [Fact]
    public void TextClassifierSheetsStratifyByLength()
    {
        var folder = Path.Combine(root, "spam");
        var tokenizer = Sapling.Data.Text.CharTokenizer.Train(["spam ham buy now hello"]);
        var model = new Sapling.Models.Gpt.GptModel(new Sapling.Models.Gpt.GptConfig { VocabSize = tokenizer.VocabSize, NPositions = 16, NEmbd = 8, NLayer = 1, NHead = 2 }, new Generator(1));
        model.AddClassificationHead(["ham", "spam"], tokenizer.EndOfTextId);
        Sapling.Models.Gpt.GptFolder.Save(folder, model);
        tokenizer.Save(Path.Combine(folder, "tokenizer.json"));
        var data = Path.Combine(root, "mail.jsonl");
        File.WriteAllLines(data, Enumerable.Range(0, 40).Select(i => JsonSerializer.Serialize(new { text = new string('a', 1 + i) + " buy", label = i % 2 == 0 ? "spam" : "ham" })));
        var sheet = Path.Combine(root, "text.html");
        var (code, _, error) = CliRunner.Run("review", "create", "--model", folder, "--data", data, "--n", "8", "--stratify", "length", "--out", sheet);
        Assert.True(code == 0, error);
        var items = SheetData(File.ReadAllText(sheet)).GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(4, items.Select(i => i.GetProperty("stratum").GetString()).Distinct().Count());
        Assert.All(items, i => Assert.EndsWith(" buy", i.GetProperty("text").GetString()));
    }

    [Fact]
    public void SummarizingWithoutRatingsIsAClearError()
    {
        var path = Path.Combine(root, "ratings.json");
        File.WriteAllText(path, """{"items": [{"id": "a", "stratum": "x", "auto_correct": true, "rating": null}]}""");
        var (code, _, error) = CliRunner.Run("review", "summarize", path);
        Assert.Equal(2, code);
        Assert.Contains("none of the 1 items was rated", error);
    }

    [NodeClientFact("playwright-core", needsChromium: true)]
    public async Task ASheetIsRatedInChromiumAndSummarised()
    {
        var folder = RepositoryPaths.ServeClientsFolder!;
        var sheet = Path.Combine(root, "sheet.html");
        Assert.Equal(0, CliRunner.Run("review", "create", "--model", DigitsModel(), "--data", "digits", "--n", "10", "--out", sheet).ExitCode);
        var ratings = Path.Combine(root, "ratings.json");
        var start = new ProcessStartInfo(RepositoryPaths.Node!, [Path.Combine(folder, "review-sheet.mjs"), sheet, ratings, "correct", "wrong", "unsure", "skip", "correct", "wrong"])
        {
            WorkingDirectory = folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(limit.Token);
        Assert.True(process.ExitCode == 0, await stderr);
        var page = JsonDocument.Parse(await stdout).RootElement;
        Assert.Equal("5 of 10 rated", page.GetProperty("progress").GetString());
        Assert.Equal(10, page.GetProperty("pixels").GetInt32());
        Assert.Equal(0, page.GetProperty("pageErrors").GetArrayLength());

        var (code, output, error) = CliRunner.Run("review", "summarize", ratings, "--json");
        Assert.True(code == 0, error);
        var overall = JsonDocument.Parse(output).RootElement.GetProperty("overall");
        Assert.Equal(10, overall.GetProperty("items").GetInt32());
        Assert.Equal(5, overall.GetProperty("rated").GetInt32());
        Assert.Equal(2, overall.GetProperty("correct").GetInt32());
        Assert.Equal(2, overall.GetProperty("wrong").GetInt32());
        Assert.Equal(1, overall.GetProperty("unsure").GetInt32());
        Assert.Equal(0.5, overall.GetProperty("reviewer_accuracy").GetDouble(), 9);
        using var exported = JsonDocument.Parse(File.ReadAllText(ratings));
        Assert.Equal("looks like a correct answer", exported.RootElement.GetProperty("items")[0].GetProperty("comment").GetString());
        (code, output, _) = CliRunner.Run("review", "summarize", ratings);
        Assert.Equal(0, code);
        Assert.Contains("10 items, 5 rated (2 correct, 2 wrong, 1 unsure)", output);
    }
}
