using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace Sapling.Serving.Api;

/// <summary>Writes <c>data: JSON</c> events and the closing <c>data: [DONE]</c>, flushing each so clients see it at once.</summary>
public static class ServerSentEvents
{
    /// <summary>Writes one <c>data: JSON</c> event and flushes it.</summary>
    public static async Task Write(HttpResponse response, JsonObject data, CancellationToken cancel)
    {
        await response.WriteAsync("data: " + data.ToJsonString(Results.JsonOptions) + "\n\n", Encoding.UTF8, cancel);
        await response.Body.FlushAsync(cancel);
    }

    /// <summary>Writes the closing <c>data: [DONE]</c> event and flushes it.</summary>
    public static async Task Done(HttpResponse response, CancellationToken cancel)
    {
        await response.WriteAsync("data: [DONE]\n\n", Encoding.UTF8, cancel);
        await response.Body.FlushAsync(cancel);
    }
}
