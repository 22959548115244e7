using System.Text.Json.Nodes;

namespace Sapling.Serving.Api;

/// <summary>
/// A request the server refuses, answered as OpenAI does: the HTTP status and
/// <c>{"error": {"message", "type", "param", "code"}}</c>.
/// </summary>
public sealed class ApiError(int status, string message, string? param = null, string? code = null) : Exception(message)
{
    /// <summary>The HTTP status code to answer with.</summary>
    public int Status { get; } = status;
    /// <summary>The request field at fault, written as the error's <c>"param"</c>; null when no one field is.</summary>
    public string? Param { get; } = param;
    /// <summary>
    /// A machine-readable reason, written as the error's <c>"code"</c> (e.g. "model_not_found"); may be null.
    /// </summary>
    public string? Code { get; } = code;

    /// <summary>
    /// The error's <c>"type"</c>, derived from <see cref="Status"/> as OpenAI names them: authentication, not found,
    /// rate limit, server or invalid request.
    /// </summary>
    public string Type => Status switch
    {
        401 => "authentication_error",
        404 => "not_found_error",
        429 => "rate_limit_error",
        >= 500 => "server_error",
        _ => "invalid_request_error",
    };

    /// <summary>The response body: <c>{"error": {"message", "type", "param", "code"}}</c>.</summary>
    public JsonObject ToJson() => new()
    {
        ["error"] = new JsonObject
        {
            ["message"] = Message,
            ["type"] = Type,
            ["param"] = Param,
            ["code"] = Code,
        },
    };

    /// <summary>A 400 Bad Request error.</summary>
    public static ApiError BadRequest(string message, string? param = null, string? code = null) => new(400, message, param, code);
}
