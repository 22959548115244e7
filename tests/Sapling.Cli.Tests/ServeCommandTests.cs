using System.Diagnostics;
using Sapling.Models.Gpt;
using Sapling.Data.Text;

namespace Sapling.Cli.Tests;

[Collection("cli")]
public sealed class ServeCommandTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("sapling-cli-serve-").FullName;

    public void Dispose() => Directory.Delete(root, recursive: true);

    private string LanguageModel()
    {
        var folder = Path.Combine(root, "tiny");
        var tokenizer = CharTokenizer.Train(["abc def"]);
        GptFolder.Save(folder, new GptModel(new GptConfig { VocabSize = tokenizer.VocabSize, NPositions = 16, NEmbd = 8, NLayer = 1, NHead = 2 }, new Generator(1)));
        tokenizer.Save(Path.Combine(folder, "tokenizer.json"));
        return folder;
    }

    [Fact]
    public async Task ServeListensAnswersAndStopsCleanlyOnSigterm()
    {
        var folder = LanguageModel();
        var dll = Path.Combine(AppContext.BaseDirectory, "sapling.dll");
        var start = new ProcessStartInfo("dotnet", [dll, "serve", "--model", folder, "--name", "tiny", "--port", "0", "--quiet"])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        using var process = Process.Start(start)!;
        try
        {
            string? address = null;
            var errors = new List<string>();
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (address == null && DateTime.UtcNow < deadline && await process.StandardError.ReadLineAsync() is { } line)
            {
                errors.Add(line);
                if (line.StartsWith("listening on ", StringComparison.Ordinal)) address = line.Split(' ')[2];
            }
            Assert.True(address != null, "no 'listening on' line:\n" + string.Join("\n", errors));
            using var client = new HttpClient { BaseAddress = new Uri(address) };
            Assert.Contains("\"ok\"", await client.GetStringAsync("/health"));
            Assert.Contains("\"tiny\"", await client.GetStringAsync("/v1/models"));
            Process.Start("kill", ["-TERM", process.Id.ToString()])!.WaitForExit();
            Assert.True(process.WaitForExit(TimeSpan.FromSeconds(30)), "serve did not stop within 30 s of SIGTERM");
            Assert.Equal(0, process.ExitCode);
            Assert.Contains("stopped", await process.StandardError.ReadToEndAsync());
        }
        finally
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }
    }

    [Fact]
    public void BadServeArgumentsAreClearErrors()
    {
        var folder = LanguageModel();
        var (code, _, error) = CliRunner.Run("serve", "--model", folder, "--model", folder, "--port", "0");
        Assert.Equal(2, code);
        Assert.Contains("both be served as 'tiny'", error);
        (code, _, error) = CliRunner.Run("serve", "--model", Path.Combine(root, "missing"), "--port", "0");
        Assert.Equal(2, code);
        Assert.Contains("does not exist", error);
        (code, _, error) = CliRunner.Run("serve", "--model", folder, "--name", "a", "--name", "b", "--port", "0");
        Assert.Equal(2, code);
        Assert.Contains("2 --name values for 1 --model folders", error);
    }
}
