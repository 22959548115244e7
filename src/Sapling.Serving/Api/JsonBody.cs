using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Sapling.Serving.Api;

/// <summary>
/// A request's JSON object with typed field access: a field of the wrong type or out of range is a 400 that names it,
/// never a 500. Unknown fields are ignored, as OpenAI's clients send fields a server may not know; known OpenAI fields
/// that would change the answer and that Sapling does not honour are refused by the endpoints.
/// </summary>
public sealed class JsonBody(JsonElement root)
{
    /// <summary>The request's top-level JSON object.</summary>
    public JsonElement Root { get; } = root;

    /// <summary>Reads and parses the body; too large → 413, not JSON or not an object → 400.</summary>
    public static async Task<JsonBody> ReadAsync(HttpContext context)
    {
        JsonDocument document;
        try
        {
            document = await JsonDocument.ParseAsync(context.Request.Body, default, context.RequestAborted);
        }
        catch (JsonException e)
        {
            throw ApiError.BadRequest($"the request body is not valid JSON: {e.Message}");
        }
        context.Response.RegisterForDispose(document);
        if (document.RootElement.ValueKind != JsonValueKind.Object)
            throw ApiError.BadRequest($"the request body must be a JSON object, got {document.RootElement.ValueKind.ToString().ToLowerInvariant()}");
        RequireValidText(document.RootElement, "");
        return new JsonBody(document.RootElement);
    }

    /// <summary>
    /// Every string and property name must be text: JSON may carry bytes that are not UTF-8, or a lone surrogate
    /// escaped as \ud800, which only fail when read. Checked once here, so that no field reads later as a 500.
    /// </summary>
    private static readonly System.Text.UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private static void RequireValidText(JsonElement element, string path)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.String:
                try
                {
                    StrictUtf8.GetByteCount(element.GetString()!);
                }
                catch (Exception e) when (e is InvalidOperationException or System.Text.EncoderFallbackException)
                {
                    throw ApiError.BadRequest($"the request body holds text that is not valid Unicode (invalid UTF-8, or a lone surrogate) at '{path}'", path.TrimStart('.'));
                }
                break;
            case JsonValueKind.Array:
                int i = 0;
                foreach (var item in element.EnumerateArray()) RequireValidText(item, $"{path}[{i++}]");
                break;
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    string name;
                    try
                    {
                        name = property.Name;
                    }
                    catch (InvalidOperationException)
                    {
                        throw ApiError.BadRequest($"the request body holds a field name that is not valid Unicode under '{path}'");
                    }
                    RequireValidText(property.Value, $"{path}.{name}");
                }
                break;
        }
    }

    /// <summary>Whether field <paramref name="name"/> is present and not null.</summary>
    public bool Has(string name) => Root.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null;

    /// <summary>Field <paramref name="name"/>, or null when it is absent or JSON null.</summary>
    public JsonElement? Get(string name) => Root.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null ? v : null;

    /// <summary>Field <paramref name="name"/> as a string; a 400 when it is absent or not a string.</summary>
    public string RequiredString(string name) =>
        Get(name) is { } v
            ? v.ValueKind == JsonValueKind.String ? v.GetString()! : throw ApiError.BadRequest($"'{name}' must be a string", name)
            : throw ApiError.BadRequest($"'{name}' is required", name);

    /// <summary>
    /// Field <paramref name="name"/> as a bool, or <paramref name="fallback"/> when absent; a 400 when it is not true
    /// or false.
    /// </summary>
    public bool Bool(string name, bool fallback) => Get(name) switch
    {
        null => fallback,
        { ValueKind: JsonValueKind.True } => true,
        { ValueKind: JsonValueKind.False } => false,
        _ => throw ApiError.BadRequest($"'{name}' must be true or false", name),
    };

    /// <summary>
    /// Field <paramref name="name"/> as a number, or <paramref name="fallback"/> when absent; a 400 when it is not a
    /// number or lies outside [<paramref name="min"/>, <paramref name="max"/>].
    /// </summary>
    public double Number(string name, double fallback, double min, double max)
    {
        if (Get(name) is not { } v) return fallback;
        if (v.ValueKind != JsonValueKind.Number) throw ApiError.BadRequest($"'{name}' must be a number", name);
        double x = v.GetDouble();
        if (x < min || x > max) throw ApiError.BadRequest($"'{name}' must be between {min} and {max}, got {x}", name);
        return x;
    }

    /// <summary>
    /// Field <paramref name="name"/> as an integer, or null when absent; a 400 when it is not a 64-bit integer or lies
    /// outside [<paramref name="min"/>, <paramref name="max"/>].
    /// </summary>
    public long? Integer(string name, long min, long max)
    {
        if (Get(name) is not { } v) return null;
        if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt64(out long x)) throw ApiError.BadRequest($"'{name}' must be an integer", name);
        if (x < min || x > max) throw ApiError.BadRequest($"'{name}' must be between {min} and {max}, got {x}", name);
        return x;
    }

    /// <summary>A string or an array of strings (OpenAI's "stop"), at most <paramref name="limit"/> of them.</summary>
    public IReadOnlyList<string> Strings(string name, int limit)
    {
        if (Get(name) is not { } v) return [];
        if (v.ValueKind == JsonValueKind.String) return [v.GetString()!];
        if (v.ValueKind != JsonValueKind.Array || v.EnumerateArray().Any(e => e.ValueKind != JsonValueKind.String))
            throw ApiError.BadRequest($"'{name}' must be a string or an array of strings", name);
        var list = v.EnumerateArray().Select(e => e.GetString()!).ToList();
        if (list.Count > limit) throw ApiError.BadRequest($"'{name}' may hold at most {limit} strings, got {list.Count}", name);
        return list;
    }
}
