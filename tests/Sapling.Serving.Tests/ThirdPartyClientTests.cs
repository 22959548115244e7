using Sapling.Testing;

namespace Sapling.Serving.Tests;

/// <summary>
/// Clients we did not write, run against a live server: the official OpenAI npm client and the playground page in
/// headless Chromium (playwright-core). Skipped with the reason when node, the npm packages or chromium are missing;
/// .ci/run installs them.
/// </summary>
public sealed class ThirdPartyClientTests : IClassFixture<TestModels>
{
    private const string Key = "test-key";
    private readonly TestModels models;

    public ThirdPartyClientTests(TestModels models) => this.models = models;

    [NodeClientFact("openai")]
    public async Task TheOfficialOpenAiClientListsCompletesAndStreams()
    {
        await using var server = await SaplingServer.StartAsync(new ServeOptions { Models = models.All, Port = 0, ApiKey = Key, LogRequests = false });
        var result = NodeScript.Run("openai-client.mjs", server.Address.ToString(), Key, "poet", "plain");
        Assert.Equal(["poet", "plain", "digits", "rows", "spam"], result.GetProperty("models").EnumerateArray().Select(m => m.GetString()));
        var completion = result.GetProperty("completion");
        Assert.Equal(8, completion.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        Assert.Equal("length", completion.GetProperty("finish").GetString());
        var chat = result.GetProperty("chat");
        Assert.True(chat.GetProperty("chunks").GetInt32() >= 2);
        Assert.Contains(chat.GetProperty("finish").GetString(), new[] { "stop", "length" });
        Assert.True(chat.GetProperty("usage").GetProperty("completion_tokens").GetInt32() > 0);
        Assert.Equal(404, result.GetProperty("refused").GetProperty("status").GetInt32());
    }

    [NodeClientFact("playwright-core", needsChromium: true)]
    public async Task ThePlaygroundChatsAndClassifiesInChromium()
    {
        await using var server = await SaplingServer.StartAsync(new ServeOptions { Models = models.All, Port = 0, ApiKey = Key, LogRequests = false });
        var image = Path.Combine(models.Root, "digit.pgm");
        File.WriteAllBytes(image, [.. "P5\n8 8\n255\n"u8.ToArray(), .. Enumerable.Range(0, 64).Select(i => (byte)(i * 37 % 256))]);
        var result = NodeScript.Run("playground.mjs", server.Address.ToString(), Key, "poet", "spam", "digits", image);
        Assert.Equal(5, result.GetProperty("models").GetArrayLength());
        Assert.Equal(Key, result.GetProperty("keyField").GetString());
        var chat = result.GetProperty("chat");
        Assert.Equal("la la", chat.GetProperty("user").GetString());
        Assert.Equal(0, chat.GetProperty("errorShown").GetInt32());
        Assert.Matches(@"^\d+ tokens in [0-9.]+ s .*finish: (stop|length)$", chat.GetProperty("stats").GetString());
        // The page shows what the API answers: the same greedy text as a direct request.
        var (_, direct) = await Http.PostJson(new HttpClient { BaseAddress = server.Address, DefaultRequestHeaders = { { "Authorization", "Bearer " + Key } } },
            "/v1/chat/completions", """{"model": "poet", "messages": [{"role": "user", "content": "la la"}], "max_tokens": 12, "temperature": 0, "top_p": 0.95}""");
        Assert.Equal(direct.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString(), chat.GetProperty("answer").GetString());
        Assert.Equal(["ham", "spam"], result.GetProperty("text").EnumerateArray().Select(r => r[0].GetString()!).Order());
        Assert.Equal(3, result.GetProperty("image").GetArrayLength());
        Assert.Equal(0, result.GetProperty("pageErrors").GetArrayLength());
    }
}
