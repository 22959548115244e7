using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Sapling.Serving.Tests;

/// <summary>Small helpers for JSON requests and server-sent event streams.</summary>
public static class Http
{
    public static async Task<(int Status, JsonElement Body)> PostJson(HttpClient client, string path, string json, string? key = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        if (key != null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        using var response = await client.SendAsync(request);
        return ((int)response.StatusCode, await Parse(response));
    }

    public static async Task<(int Status, JsonElement Body)> Get(HttpClient client, string path, string? key = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (key != null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        using var response = await client.SendAsync(request);
        return ((int)response.StatusCode, await Parse(response));
    }

    private static async Task<JsonElement> Parse(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        try
        {
            return JsonDocument.Parse(text).RootElement.Clone();
        }
        catch (JsonException)
        {
            throw new Xunit.Sdk.XunitException($"status {(int)response.StatusCode}: not JSON: {text}");
        }
    }

    /// <summary>The data lines of an event stream, in order, up to and including [DONE].</summary>
    public static async Task<List<string>> Events(HttpClient client, string path, string json)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(200, (int)response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        var events = new List<string>();
        while (await reader.ReadLineAsync() is { } line)
        {
            if (line.Length == 0) continue;
            Assert.StartsWith("data: ", line);
            events.Add(line[6..]);
        }
        return events;
    }
}
