using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Sapling.Serving.Catalog;
using Sapling.Serving.Generation;

namespace Sapling.Serving.Api;

/// <summary>
/// POST /v1/embeddings in OpenAI's shape: <c>"input"</c> is a text or an array of texts (up to 2,048, none empty; token
/// arrays are refused), <c>"encoding_format"</c> <c>float</c> (default) or <c>base64</c> (little-endian float32 bytes, what
/// the official clients ask for), <c>"dimensions"</c> only when it is the model's own width (these encoders were not
/// trained to be shortened). Vectors are mean-pooled over the real tokens and scaled to unit length, as
/// sentence-transformers does; <c>usage.prompt_tokens</c> counts the tokens read, [CLS] and [SEP] included.
/// </summary>
public sealed class EmbeddingsEndpoint(ModelCatalog catalog, InferenceEngine engine)
{
    private const int MaxInputs = 2048;

    /// <summary>Answers one embeddings request: one vector per input text, in order, with the token usage.</summary>
    public async Task Handle(HttpContext context)
    {
        var body = await JsonBody.ReadAsync(context);
        var id = body.RequiredString("model");
        var model = catalog.Find(id) ?? throw new ApiError(404, $"the model '{id}' does not exist; GET /v1/models lists the models served", "model", "model_not_found");
        if (model is not ServedEncoder encoder)
            throw ApiError.BadRequest($"model '{model.Id}' is a {model.Kind}, not an embedding model; /v1/embeddings takes a text encoder (a bert folder)", "model");
        context.Items[RequestLog.ModelKey] = model.Id;
        var texts = Texts(body, MaxInputs);
        var format = body.Get("encoding_format")?.GetString() ?? "float";
        if (format is not ("float" or "base64")) throw ApiError.BadRequest($"'encoding_format' must be \"float\" or \"base64\", got \"{format}\"", "encoding_format");
        int width = encoder.Embedder.Dimensions;
        if (body.Integer("dimensions", 1, 1_000_000) is long dimensions && dimensions != width)
            throw ApiError.BadRequest($"'dimensions' {dimensions} is not supported: model '{model.Id}' gives {width}-dimensional embeddings and was not trained to be shortened", "dimensions");

        var ids = encoder.Embedder.Encode(texts);
        long tokens = ids.Sum(row => (long)row.Length);
        var vectors = await engine.Run(() => encoder.Embedder.Embed(ids));
        var data = new JsonArray();
        for (int i = 0; i < vectors.Length; i++)
        {
            JsonNode embedding = format == "base64"
                ? Convert.ToBase64String(System.Runtime.InteropServices.MemoryMarshal.AsBytes(vectors[i].AsSpan()))
                : new JsonArray(Array.ConvertAll(vectors[i], v => (JsonNode)v));
            data.Add(new JsonObject { ["object"] = "embedding", ["index"] = i, ["embedding"] = embedding });
        }
        await Results.WriteJson(context, 200, new JsonObject
        {
            ["object"] = "list", ["data"] = data, ["model"] = model.Id,
            ["usage"] = new JsonObject { ["prompt_tokens"] = tokens, ["total_tokens"] = tokens },
        });
    }

    /// <summary>OpenAI's "input": a text or an array of texts (at most <paramref name="maxInputs"/>, none empty); token arrays are refused.</summary>
    internal static List<string> Texts(JsonBody body, int maxInputs)
    {
        var input = body.Get("input") ?? throw ApiError.BadRequest("'input' is required: a text or an array of texts", "input");
        List<string> texts = input.ValueKind switch
        {
            JsonValueKind.String => [input.GetString()!],
            JsonValueKind.Array when input.EnumerateArray().All(e => e.ValueKind == JsonValueKind.String) => input.EnumerateArray().Select(e => e.GetString()!).ToList(),
            JsonValueKind.Array when input.EnumerateArray().All(e => e.ValueKind is JsonValueKind.Number or JsonValueKind.Array) =>
                throw ApiError.BadRequest("'input' as token ids is not supported: send the text (the model's own tokenizer reads it)", "input"),
            _ => throw ApiError.BadRequest("'input' must be a text or an array of texts", "input"),
        };
        if (texts.Count == 0) throw ApiError.BadRequest("'input' is empty", "input");
        if (texts.Count > maxInputs) throw ApiError.BadRequest($"at most {maxInputs} inputs per request, got {texts.Count}", "input");
        for (int i = 0; i < texts.Count; i++)
            if (texts[i].Length == 0) throw ApiError.BadRequest($"input {i} is an empty string", "input");
        return texts;
    }
}
