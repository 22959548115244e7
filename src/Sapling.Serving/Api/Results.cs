using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace Sapling.Serving.Api;

/// <summary>JSON responses, written with non-ASCII text as itself (Chinese poems stay readable in logs and curl).</summary>
public static class Results
{
    // NaN or infinity in a response (a model with non-finite weights) is written as a named literal, never an exception
    // half-way through the response.
    /// <summary>The serializer options of every JSON response and server-sent event.</summary>
    public static readonly JsonSerializerOptions JsonOptions = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>
    /// Writes <paramref name="body"/> as the response with <paramref name="status"/> and a JSON content type.
    /// </summary>
    public static Task WriteJson(HttpContext context, int status, JsonNode body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json; charset=utf-8";
        return context.Response.WriteAsync(body.ToJsonString(JsonOptions), context.RequestAborted);
    }
}
