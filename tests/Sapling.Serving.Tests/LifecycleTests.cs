using System.Text;

namespace Sapling.Serving.Tests;

/// <summary>Servers of their own: API keys, deadlines and graceful shutdown.</summary>
public sealed class LifecycleTests : IClassFixture<TestModels>
{
    private readonly TestModels models;

    public LifecycleTests(TestModels models) => this.models = models;

    [Fact]
    public async Task AClassifierWithNaNWeightsAnswersAClear500NotNaNScores()
    {
        var folder = Path.Combine(models.Root, "nan-rows");
        Directory.CreateDirectory(folder);
        foreach (var file in Directory.GetFiles(models.Rows)) File.Copy(file, Path.Combine(folder, Path.GetFileName(file)), overwrite: true);
        var weightsPath = Path.Combine(folder, "model.safetensors");
        var weights = IO.SafeTensors.LoadAll(weightsPath);
        var first = weights.Keys.Order(StringComparer.Ordinal).First(k => weights[k].DType == DType.Float32);
        using (Autograd.NoGrad.Enter()) weights[first].AsSpan()[0] = float.NaN;
        IO.SafeTensors.Save(weightsPath, weights);
        await using var server = await SaplingServer.StartAsync(new ServeOptions { Models = [new(folder, "nan")], Port = 0, LogRequests = false });
        using var client = new HttpClient { BaseAddress = server.Address };
        var (status, body) = await Http.PostJson(client, "/v1/classify", """{"model": "nan", "input": [1, 2, 3, 4]}""");
        Assert.Equal(500, status);
        Assert.Equal("model_output_not_finite", body.GetProperty("error").GetProperty("code").GetString());
    }

    [Fact]
    public async Task SlowHeadersAndIdleConnectionsAreClosed()
    {
        await using var server = await SaplingServer.StartAsync(new ServeOptions
        {
            Models = [new(models.Plain)], Port = 0, LogRequests = false, IdleTimeout = TimeSpan.FromSeconds(1), HeadersTimeout = TimeSpan.FromSeconds(1),
        });
        async Task<bool> ClosedWithin(System.Net.Sockets.NetworkStream stream, TimeSpan limit)
        {
            var buffer = new byte[4096];
            using var timeout = new CancellationTokenSource(limit);
            try
            {
                while (await stream.ReadAsync(buffer, timeout.Token) > 0) { }
                return true;
            }
            catch (OperationCanceledException)
            {
                return false;
            }
            catch (IOException)
            {
                return true;
            }
        }
        // Half a request head, never finished.
        using (var slow = new System.Net.Sockets.TcpClient())
        {
            await slow.ConnectAsync(server.Address.Host, server.Address.Port);
            var stream = slow.GetStream();
            await stream.WriteAsync(Encoding.ASCII.GetBytes("GET /health HTTP/1.1\r\nHost: x\r\n"));
            Assert.True(await ClosedWithin(stream, TimeSpan.FromSeconds(8)), "a connection that never finishes its headers must be closed");
        }
        // A kept-alive connection after its answer.
        using (var idle = new System.Net.Sockets.TcpClient())
        {
            await idle.ConnectAsync(server.Address.Host, server.Address.Port);
            var stream = idle.GetStream();
            await stream.WriteAsync(Encoding.ASCII.GetBytes("GET /health HTTP/1.1\r\nHost: x\r\n\r\n"));
            Assert.True(await ClosedWithin(stream, TimeSpan.FromSeconds(8)), "an idle kept-alive connection must be closed");
        }
    }

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
