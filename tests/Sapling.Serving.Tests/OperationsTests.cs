using System.Text.Json;

namespace Sapling.Serving.Tests;

public sealed class OperationsTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task HealthMetricsAndLogsReportWhatHappened()
    {
        var (status, health) = await Http.Get(fixture.Client, "/health");
        Assert.Equal(200, status);
        Assert.Equal("ok", health.GetProperty("status").GetString());
        await Http.PostJson(fixture.Client, "/v1/completions", """{"model": "plain", "prompt": "the", "max_tokens": 5, "temperature": 0}""");
        await Http.PostJson(fixture.Client, "/v1/completions", """{"model": "nope", "prompt": "the"}""");
        var metrics = await fixture.Client.GetStringAsync("/metrics");
        Assert.Contains("# TYPE sapling_requests_total counter", metrics);
        Assert.Contains("sapling_requests_total{route=\"/v1/completions\",status=\"200\"}", metrics);
        Assert.Contains("sapling_requests_total{route=\"/v1/completions\",status=\"404\"} 1", metrics);
        Assert.Contains("sapling_request_duration_seconds_bucket{route=\"/v1/completions\",le=\"+Inf\"}", metrics);
        Assert.Contains("sapling_queue_depth 0", metrics);
        Assert.Contains("# TYPE sapling_time_to_first_token_seconds histogram", metrics);
        var tokens = long.Parse(metrics.Split('\n').First(l => l.StartsWith("sapling_tokens_generated_total ", StringComparison.Ordinal)).Split(' ')[1]);
        Assert.True(tokens >= 5, $"tokens generated {tokens}");
        // Every line of the exposition is a comment or "name{labels} value".
        foreach (var line in metrics.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            Assert.Matches(@"^(# (HELP|TYPE) \w+ .+|\w+(\{[^}]*\})? -?[0-9.eE+-]+)$", line);

        var lines = fixture.Log.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var ok = lines.Last(l => l.GetProperty("path").GetString() == "/v1/completions" && l.GetProperty("status").GetInt32() == 200);
        Assert.Equal("plain", ok.GetProperty("model").GetString());
        Assert.Equal(5, ok.GetProperty("completion_tokens").GetInt32());
        Assert.True(ok.GetProperty("duration_ms").GetDouble() > 0);
        var missing = lines.Last(l => l.GetProperty("status").GetInt32() == 404);
        Assert.Contains("does not exist", missing.GetProperty("error").GetString());
    }

    [Fact]
    public async Task ThePlaygroundPageIsServedAtTheRoot()
    {
        using var response = await fixture.Client.GetAsync("/");
        Assert.Equal(200, (int)response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        var page = await response.Content.ReadAsStringAsync();
        Assert.Contains("Sapling playground", page);
        Assert.Contains("/v1/chat/completions", page);
        Assert.DoesNotContain("http://", page.Replace("http://www.w3.org", ""));
    }

    [Fact]
    public async Task ADisconnectedStreamStopsConsumingCompute()
    {
        long abandonedBefore = Abandoned();
        using (var cancel = new CancellationTokenSource())
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/completions")
            {
                Content = new StringContent("""{"model": "poet", "prompt": "a", "max_tokens": 46, "stream": true}""", System.Text.Encoding.UTF8, "application/json"),
            };
            using var response = await fixture.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancel.Token);
            var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancel.Token));
            await reader.ReadLineAsync(cancel.Token);
            cancel.Cancel();
        }
        // Tiny models can finish 46 tokens before the disconnect is noticed; then nothing was left to abandon.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (fixture.Server.Metrics.RunningSequences() > 0 && DateTime.UtcNow < deadline) await Task.Delay(20);
        Assert.Equal(0, fixture.Server.Metrics.RunningSequences());
        Assert.True(Abandoned() >= abandonedBefore);
    }

    private long Abandoned() => long.Parse(fixture.Server.Metrics.Render().Split('\n').First(l => l.StartsWith("sapling_abandoned_requests_total ", StringComparison.Ordinal)).Split(' ')[1]);
}
