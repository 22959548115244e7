using System.Diagnostics;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Sapling.Serving.Operations;

namespace Sapling.Serving.Api;

/// <summary>
/// Around every request: the API-key check, the OpenAI-style answer for errors (a bad request is never a 500), the
/// metrics by route and status, and one JSON log line with what happened.
/// </summary>
public sealed class RequestLog(ServerMetrics metrics, ServeOptions options, TextWriter log)
{
    /// <summary>
    /// The <c>HttpContext.Items</c> key under which an endpoint records the model id, for the log line.
    /// </summary>
    public const string ModelKey = "sapling.model";
    /// <summary>The <c>HttpContext.Items</c> key for the prompt's token count (an int), for the log line.</summary>
    public const string PromptTokensKey = "sapling.prompt_tokens";
    /// <summary>The <c>HttpContext.Items</c> key for the generated token count (an int), for the log line.</summary>
    public const string CompletionTokensKey = "sapling.completion_tokens";

    private readonly object logGate = new();

    /// <summary>
    /// Runs <paramref name="next"/> after the API-key check, turns any exception into an error answer (unless the
    /// response has started), then counts and logs the request.
    /// </summary>
    public async Task Invoke(HttpContext context, RequestDelegate next)
    {
        var clock = Stopwatch.StartNew();
        string? error = null;
        try
        {
            CheckApiKey(context);
            await next(context);
        }
        catch (ApiError e)
        {
            error = e.Message;
            await Answer(context, e);
        }
        catch (BadHttpRequestException e)
        {
            // Kestrel's own refusals: a body over the size limit (413), a malformed request line or body (400).
            error = e.Message;
            await Answer(context, new ApiError(e.StatusCode, e.StatusCode == 413 ? $"the request body exceeds the limit of {options.MaxBodyBytes} bytes" : e.Message,
                code: e.StatusCode == 413 ? "request_too_large" : null));
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away; nothing is left to answer. 499 is the customary status for the log.
            error = "client disconnected";
            context.Response.StatusCode = 499;
        }
        catch (Exception e)
        {
            error = e.ToString();
            await Answer(context, new ApiError(500, $"internal error: {e.Message}"));
        }
        finally
        {
            var route = RouteOf(context.Request.Path);
            metrics.CountRequest(route, context.Response.StatusCode, clock.Elapsed.TotalSeconds);
            if (options.LogRequests) Write(context, clock.Elapsed.TotalMilliseconds, error);
        }
    }

    private void CheckApiKey(HttpContext context)
    {
        if (options.ApiKey is not { } key) return;
        var path = context.Request.Path.Value ?? "";
        if (path == "/health") return;
        var header = context.Request.Headers.Authorization.ToString();
        var given = header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header[7..].Trim() : "";
        // A browser cannot send a header when it opens a page: the playground takes the key from its address
        // (/?api_key=KEY) and sends it as a bearer header on every API call it makes.
        if (path == "/" && given.Length == 0) given = context.Request.Query["api_key"].ToString();
        var a = System.Text.Encoding.UTF8.GetBytes(given);
        var b = System.Text.Encoding.UTF8.GetBytes(key);
        if (!System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(a, b))
            throw new ApiError(401, given.Length == 0
                ? path == "/" ? "no API key given: open the playground as /?api_key=KEY" : "no API key given: send the header 'Authorization: Bearer KEY'"
                : "incorrect API key provided", code: "invalid_api_key");
    }

    private static async Task Answer(HttpContext context, ApiError e)
    {
        if (context.Response.HasStarted) return;
        context.Response.Clear();
        await Results.WriteJson(context, e.Status, e.ToJson());
    }

    private static string RouteOf(PathString path)
    {
        var value = path.Value ?? "/";
        if (value.StartsWith("/v1/models/", StringComparison.Ordinal)) return "/v1/models/{id}";
        return ApiRoutes.Methods.ContainsKey(value) ? value : "other";
    }

    private void Write(HttpContext context, double milliseconds, string? error)
    {
        var line = new JsonObject
        {
            ["time"] = DateTime.UtcNow.ToString("O"),
            ["method"] = context.Request.Method,
            ["path"] = context.Request.Path.Value,
            ["status"] = context.Response.StatusCode,
            ["duration_ms"] = Math.Round(milliseconds, 2),
            ["remote"] = context.Connection.RemoteIpAddress?.ToString(),
        };
        if (context.Items.TryGetValue(ModelKey, out var model)) line["model"] = (string?)model;
        if (context.Items.TryGetValue(PromptTokensKey, out var prompt)) line["prompt_tokens"] = (int?)prompt;
        if (context.Items.TryGetValue(CompletionTokensKey, out var completion)) line["completion_tokens"] = (int?)completion;
        if (error != null) line["error"] = error.Split('\n')[0];
        var text = line.ToJsonString(Results.JsonOptions);
        lock (logGate) log.WriteLine(text);
    }
}
