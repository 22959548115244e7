using System.Net.Http.Headers;
using System.Text;

namespace Sapling.Serving.Tests;

/// <summary>Servers of their own: API keys, deadlines and graceful shutdown.</summary>
public sealed class LifecycleTests : IClassFixture<TestModels>
{
    private readonly TestModels models;

    public LifecycleTests(TestModels models) => this.models = models;

    [Fact]
    public async Task TheApiKeyIsCheckedOnEveryRouteButHealth()
    {
        await using var server = await SaplingServer.StartAsync(new ServeOptions { Models = [new(models.Plain)], Port = 0, ApiKey = "s3cret", LogRequests = false });
        using var client = new HttpClient { BaseAddress = server.Address };
        Assert.Equal(200, (await Http.Get(client, "/health")).Status);
        var (status, body) = await Http.Get(client, "/v1/models");
        Assert.Equal(401, status);
        Assert.Contains("no API key", body.GetProperty("error").GetProperty("message").GetString());
        (status, body) = await Http.Get(client, "/v1/models", key: "wrong");
        Assert.Equal(401, status);
        Assert.Equal("invalid_api_key", body.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal(401, (await Http.PostJson(client, "/v1/completions", """{"model": "plain", "prompt": "a"}""")).Status);
        using var metrics = await client.GetAsync("/metrics");
        Assert.Equal(401, (int)metrics.StatusCode);
        using (var page = await client.GetAsync("/"))
        {
            Assert.Equal(401, (int)page.StatusCode);
            Assert.Contains("/?api_key=KEY", await page.Content.ReadAsStringAsync());
        }
        using (var page = await client.GetAsync("/?api_key=s3cret"))
            Assert.Equal(200, (int)page.StatusCode);
        using (var page = await client.GetAsync("/v1/models?api_key=s3cret"))
            Assert.Equal(401, (int)page.StatusCode);
        Assert.Equal(200, (await Http.Get(client, "/v1/models", key: "s3cret")).Status);
        Assert.Equal(200, (await Http.PostJson(client, "/v1/completions", """{"model": "plain", "prompt": "a", "max_tokens": 2}""", key: "s3cret")).Status);
    }

    [Fact]
    public async Task ARequestPastTheTimeLimitIs504()
    {
        await using var server = await SaplingServer.StartAsync(new ServeOptions { Models = [new(models.Plain)], Port = 0, RequestTimeout = TimeSpan.FromTicks(1), LogRequests = false });
        using var client = new HttpClient { BaseAddress = server.Address };
        var (status, body) = await Http.PostJson(client, "/v1/completions", """{"model": "plain", "prompt": "a", "max_tokens": 20}""");
        Assert.Equal(504, status);
        Assert.Equal("timeout", body.GetProperty("error").GetProperty("code").GetString());
        var events = await Http.Events(client, "/v1/completions", """{"model": "plain", "prompt": "a", "max_tokens": 20, "stream": true}""");
        Assert.Contains("\"code\":\"timeout\"", events[^2]);
        Assert.Equal("[DONE]", events[^1]);
    }

    [Fact]
    public async Task ShutdownLetsAStreamInFlightFinish()
    {
        var server = await SaplingServer.StartAsync(new ServeOptions { Models = [new(models.Poet)], Port = 0, LogRequests = false });
        using var client = new HttpClient { BaseAddress = server.Address };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/completions")
        {
            Content = new StringContent("""{"model": "poet", "prompt": "a", "max_tokens": 40, "stream": true, "seed": 1}""", Encoding.UTF8, "application/json"),
        };
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        Assert.StartsWith("data: ", await reader.ReadLineAsync());
        var stopping = server.StopAsync();
        var rest = await reader.ReadToEndAsync();
        await stopping;
        Assert.EndsWith("data: [DONE]", rest.TrimEnd());
        await server.DisposeAsync();
        await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync("/health"));
    }

    [Fact]
    public async Task BadServeOptionsAreRefusedBeforeListening()
    {
        var e = await Assert.ThrowsAsync<ArgumentException>(() => SaplingServer.StartAsync(new ServeOptions { Models = [new(models.Plain), new(models.Plain)], Port = 0 }));
        Assert.Contains("both be served as 'plain'", e.Message);
        await Assert.ThrowsAsync<DirectoryNotFoundException>(() => SaplingServer.StartAsync(new ServeOptions { Models = [new(Path.Combine(models.Root, "missing"))], Port = 0 }));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => SaplingServer.StartAsync(new ServeOptions { Models = [new(models.Plain)], Port = 0, MaxBatch = 0 }));
    }
}
