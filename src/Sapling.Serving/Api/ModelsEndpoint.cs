using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Sapling.Serving.Catalog;

namespace Sapling.Serving.Api;

/// <summary>GET /v1/models and /v1/models/{id}: OpenAI's model objects, plus what kind each is and whether it chats.</summary>
public sealed class ModelsEndpoint(ModelCatalog catalog)
{
    /// <summary>Answers GET /v1/models: every served model, in the order they were given.</summary>
    public Task List(HttpContext context) => Results.WriteJson(context, 200, new JsonObject
    {
        ["object"] = "list",
        ["data"] = new JsonArray(catalog.Models.Select(m => (JsonNode)Describe(m)).ToArray()),
    });

    /// <summary>Answers GET /v1/models/{id}: one model; a 404 when no model has <paramref name="id"/>.</summary>
    public Task Get(HttpContext context, string id) => catalog.Find(id) is { } model
        ? Results.WriteJson(context, 200, Describe(model))
        : throw new ApiError(404, $"the model '{id}' does not exist; GET /v1/models lists the models served", "model", "model_not_found");

    private static JsonObject Describe(ServedModel model)
    {
        var o = new JsonObject
        {
            ["id"] = model.Id,
            ["object"] = "model",
            ["created"] = model.Created,
            ["owned_by"] = "sapling",
            ["kind"] = model.Kind,
        };
        switch (model)
        {
            case ServedLanguageModel lm:
                o["chat"] = lm.HasChatTemplate;
                o["context_length"] = lm.Context;
                break;
            case ServedClassifier c:
                o["input"] = c.TakesImages ? "image" : "features";
                o["labels"] = new JsonArray(Enumerable.Range(0, c.Predictor.Config.NumClasses).Select(i => (JsonNode)c.Predictor.Config.LabelOf(i)).ToArray());
                break;
            case ServedTextClassifier t:
                o["input"] = "text";
                o["labels"] = new JsonArray(t.Classifier.Labels.Select(l => (JsonNode)l).ToArray());
                break;
            case ServedEncoder e:
                o["input"] = "text";
                o["dimensions"] = e.Embedder.Dimensions;
                o["context_length"] = e.Embedder.MaxLength;
                break;
            case ServedTranslator t:
                o["input"] = "text";
                o["model_type"] = t.Translator.Model.ModelType;
                o["num_beams"] = t.Defaults.NumBeams;
                break;
        }
        return o;
    }
}
