using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Sapling.Serving.Catalog;
using Sapling.Serving.Generation;

namespace Sapling.Serving.Api;

/// <summary>
/// POST /v1/translate for encoder-decoders. OpenAI's API has no text-to-text route for a model without a chat template,
/// and a translation is not a conversation, so the request takes the shape of /v1/embeddings, the OpenAI route whose
/// input is plain text: <c>"input"</c> a text or an array of texts (up to 256), and the search as transformers names it
/// (<c>num_beams</c>, <c>max_new_tokens</c>, <c>length_penalty</c>, <c>no_repeat_ngram_size</c>, <c>early_stopping</c>;
/// defaults from the model folder). The answer lists <c>{"object": "translation", "index", "text"}</c> in input order
/// with OpenAI's usage counts (source tokens as prompt tokens, generated tokens as completion tokens).
/// </summary>
public sealed class TranslateEndpoint(ModelCatalog catalog, InferenceEngine engine)
{
    private const int MaxInputs = 256;

    /// <summary>
    /// Answers one translate request: one output text per input text, in order, with the token usage.
    /// </summary>
    public async Task Handle(HttpContext context)
    {
        var body = await JsonBody.ReadAsync(context);
        var id = body.RequiredString("model");
        var model = catalog.Find(id) ?? throw new ApiError(404, $"the model '{id}' does not exist; GET /v1/models lists the models served", "model", "model_not_found");
        if (model is not ServedTranslator translator)
            throw ApiError.BadRequest($"model '{model.Id}' is a {model.Kind}, not a translation model; /v1/translate takes an encoder-decoder (a bart, marian or t5 folder)", "model");
        context.Items[RequestLog.ModelKey] = model.Id;
        var texts = EmbeddingsEndpoint.Texts(body, MaxInputs);
        var d = translator.Defaults;
        var options = d with
        {
            NumBeams = (int)(body.Integer("num_beams", 1, 16) ?? d.NumBeams),
            MaxNewTokens = (int)(body.Integer("max_new_tokens", 1, 1024) ?? Math.Min(d.MaxNewTokens, 1024)),
            LengthPenalty = (float)body.Number("length_penalty", d.LengthPenalty, -10, 10),
            NoRepeatNgramSize = (int)(body.Integer("no_repeat_ngram_size", 0, 16) ?? d.NoRepeatNgramSize),
            EarlyStopping = body.Bool("early_stopping", d.EarlyStopping),
        };
        var translations = await engine.Run(() => translator.Translator.TranslateWithCounts(texts, options, cancellation: context.RequestAborted));
        var data = new JsonArray();
        for (int i = 0; i < translations.Length; i++) data.Add(new JsonObject { ["object"] = "translation", ["index"] = i, ["text"] = translations[i].Text });
        long prompt = translations.Sum(t => (long)t.SourceTokens), completion = translations.Sum(t => (long)t.GeneratedTokens);
        await Results.WriteJson(context, 200, new JsonObject
        {
            ["object"] = "list", ["data"] = data, ["model"] = model.Id,
            ["usage"] = new JsonObject { ["prompt_tokens"] = prompt, ["completion_tokens"] = completion, ["total_tokens"] = prompt + completion },
        });
    }
}
