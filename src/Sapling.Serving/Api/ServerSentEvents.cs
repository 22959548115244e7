using System.Text;
using System.Text.Json.Nodes;
using System.Buffers;
using Microsoft.AspNetCore.Http;

namespace Sapling.Serving.Api;

/// <summary>Writes <c>data: JSON</c> events and the closing <c>data: [DONE]</c>, flushing each so clients see it at once.</summary>
public static class ServerSentEvents
{
    /// <summary>Adds an event to the response without flushing (the caller flushes once for a run of events).</summary>
    public static void Append(HttpResponse response, JsonObject data)
    {
        var writer = response.BodyWriter;
        var bytes = Encoding.UTF8.GetBytes("data: " + data.ToJsonString(Results.JsonOptions) + "\n\n");
        writer.Write(bytes);
    }

    public static async Task Write(HttpResponse response, JsonObject data, CancellationToken cancel)
    {
        await response.WriteAsync("data: " + data.ToJsonString(Results.JsonOptions) + "\n\n", Encoding.UTF8, cancel);
        await response.Body.FlushAsync(cancel);
    }

    public static async Task Done(HttpResponse response, CancellationToken cancel)
    {
        await response.WriteAsync("data: [DONE]\n\n", Encoding.UTF8, cancel);
        await response.Body.FlushAsync(cancel);
    }
}
