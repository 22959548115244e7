using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Sapling.Serving.Catalog;
using Sapling.Serving.Generation;

namespace Sapling.Serving.Api;

/// <summary>
/// POST /v1/classify: labels with probabilities for each input. Text classifiers take <c>"input"</c> (a string or an
/// array of strings); feature-row classifiers take <c>"input"</c> as one row or an array of rows of numbers; image
/// classifiers take <c>"image"</c> (base64, one or an array) or a multipart upload of one or more <c>file</c> fields
/// with a <c>model</c> field. <c>"top_k"</c> limits the labels listed per input (default: all).
/// </summary>
public sealed class ClassifyEndpoint(ModelCatalog catalog, InferenceEngine engine)
{
    private const int MaxInputs = 256;

    /// <summary>
    /// Answers one classify request, as JSON or as a multipart upload; the answer lists, per input, the best label and
    /// the labels with their probabilities, best first.
    /// </summary>
    public async Task Handle(HttpContext context)
    {
        ServedModel model;
        Func<float[][]> work;
        int? topK;
        if (context.Request.ContentType?.StartsWith("multipart/form-data", StringComparison.OrdinalIgnoreCase) == true)
        {
            var form = await context.Request.ReadFormAsync(context.RequestAborted);
            model = Find(form["model"].ToString());
            topK = FormTopK(form["top_k"].ToString());
            var images = new List<(byte[], string)>();
            foreach (var file in form.Files)
            {
                using var stream = new MemoryStream();
                await file.CopyToAsync(stream, context.RequestAborted);
                images.Add((stream.ToArray(), file.FileName));
            }
            work = Images(model, images);
        }
        else
        {
            var body = await JsonBody.ReadAsync(context);
            model = Find(body.RequiredString("model"));
            topK = (int?)body.Integer("top_k", 1, 100_000);
            work = model switch
            {
                ServedTextClassifier text => Texts(text, body),
                ServedClassifier { TakesImages: true } when body.Has("image") => Images(model, Base64Images(body)),
                ServedClassifier rows => Rows(rows, body),
                _ => throw ApiError.BadRequest($"model '{model.Id}' is a language model; use /v1/completions or /v1/chat/completions", "model"),
            };
        }
        context.Items[RequestLog.ModelKey] = model.Id;
        var labels = model switch
        {
            ServedTextClassifier t => t.Classifier.Labels,
            ServedClassifier c => Enumerable.Range(0, c.Predictor.Config.NumClasses).Select(c.Predictor.Config.LabelOf).ToArray(),
            _ => [],
        };
        var probabilities = await engine.Run(work);
        var data = new JsonArray();
        // Non-finite scores are never ranked: with finite weights the input drove the model out of float32's range
        // (a 400); a model whose weights hold NaN answers NaN for everything (a 500 that says so).
        if (probabilities.Any(row => !System.Numerics.Tensors.TensorPrimitives.IsFiniteAll<float>(row)))
        {
            bool weightsFinite = model switch { ServedClassifier c => c.WeightsFinite, ServedTextClassifier t => t.WeightsFinite, _ => true };
            if (weightsFinite)
                throw ApiError.BadRequest($"the input drives model '{model.Id}' out of float32's range (its scores are not finite); give inputs on the scale the model was trained on", "input");
            throw new ApiError(500, $"model '{model.Id}' produced scores that are not finite numbers; its weights hold NaN or infinity", code: "model_output_not_finite");
        }
        for (int i = 0; i < probabilities.Length; i++)
        {
            var order = Enumerable.Range(0, labels.Length).OrderByDescending(j => probabilities[i][j]).Take(topK ?? labels.Length);
            var ranked = new JsonArray(order.Select(j => (JsonNode)new JsonObject { ["label"] = labels[j], ["probability"] = probabilities[i][j] }).ToArray());
            data.Add(new JsonObject { ["index"] = i, ["label"] = ranked[0]!["label"]!.GetValue<string>(), ["labels"] = ranked });
        }
        await Results.WriteJson(context, 200, new JsonObject { ["object"] = "list", ["model"] = model.Id, ["data"] = data });
    }

    private ServedModel Find(string id)
    {
        if (string.IsNullOrEmpty(id)) throw ApiError.BadRequest("'model' is required", "model");
        return catalog.Find(id) ?? throw new ApiError(404, $"the model '{id}' does not exist; GET /v1/models lists the models served", "model", "model_not_found");
    }

    private static Func<float[][]> Texts(ServedTextClassifier model, JsonBody body)
    {
        var input = body.Get("input") ?? throw ApiError.BadRequest("'input' is required: a text or an array of texts", "input");
        var texts = input.ValueKind switch
        {
            JsonValueKind.String => [input.GetString()!],
            JsonValueKind.Array when input.EnumerateArray().All(e => e.ValueKind == JsonValueKind.String) => input.EnumerateArray().Select(e => e.GetString()!).ToList(),
            _ => throw ApiError.BadRequest("'input' must be a text or an array of texts", "input"),
        };
        CheckCount(texts.Count, "input");
        return () => model.Classifier.Probabilities(texts.Select(t => model.Classifier.Encode(t)).ToList());
    }

    private static Func<float[][]> Rows(ServedClassifier model, JsonBody body)
    {
        int size = model.Predictor.InputSize;
        var input = body.Get("input") ?? throw ApiError.BadRequest(model.TakesImages
            ? "'image' (base64) or 'input' (rows of numbers) is required" : $"'input' is required: a row of {size} numbers or an array of rows", "input");
        var rows = input.ValueKind == JsonValueKind.Array && input.GetArrayLength() > 0 && input[0].ValueKind == JsonValueKind.Array
            ? input.EnumerateArray().ToList()
            : [input];
        CheckCount(rows.Count, "input");
        var values = new float[rows.Count * size];
        for (int r = 0; r < rows.Count; r++)
        {
            if (rows[r].ValueKind != JsonValueKind.Array || rows[r].GetArrayLength() != size || rows[r].EnumerateArray().Any(v => v.ValueKind != JsonValueKind.Number))
                throw ApiError.BadRequest($"row {r} of 'input' must be an array of {size} numbers (the model's input size)", "input");
            int i = 0;
            foreach (var v in rows[r].EnumerateArray())
            {
                float x = v.GetSingle();
                if (!float.IsFinite(x)) throw ApiError.BadRequest($"row {r} of 'input' holds {v.GetRawText()}, which is beyond float32's range", "input");
                values[r * size + i++] = x;
            }
        }
        return () =>
        {
            using var scope = new TensorScope();
            return Split(model.Predictor.Probabilities(model.Predictor.Prepare(values, rows.Count)));
        };
    }

    private static List<(byte[], string)> Base64Images(JsonBody body)
    {
        var image = body.Get("image")!.Value;
        var items = image.ValueKind == JsonValueKind.Array ? image.EnumerateArray().ToList() : [image];
        CheckCount(items.Count, "image");
        var images = new List<(byte[], string)>();
        foreach (var item in items)
        {
            if (item.ValueKind != JsonValueKind.String) throw ApiError.BadRequest("'image' must be base64 text or an array of them", "image");
            var text = item.GetString()!;
            // Data URLs (what a browser's FileReader gives) carry the base64 after the comma.
            int comma = text.StartsWith("data:", StringComparison.Ordinal) ? text.IndexOf(',') : -1;
            try
            {
                images.Add((Convert.FromBase64String(text[(comma + 1)..]), $"image {images.Count}"));
            }
            catch (FormatException)
            {
                throw ApiError.BadRequest($"image {images.Count} is not valid base64", "image");
            }
        }
        return images;
    }

    private static Func<float[][]> Images(ServedModel model, List<(byte[] Bytes, string Name)> images)
    {
        if (model is not ServedClassifier { TakesImages: true } classifier)
            throw ApiError.BadRequest($"model '{model.Id}' does not take images", "model");
        if (images.Count == 0) throw ApiError.BadRequest("no image was uploaded: send one or more 'file' fields", "file");
        CheckCount(images.Count, "file");
        return () =>
        {
            using var scope = new TensorScope();
            Tensor prepared;
            try
            {
                prepared = classifier.Predictor.PrepareImages(images);
            }
            catch (IOException e)
            {
                throw ApiError.BadRequest(e.Message, "image");
            }
            return Split(classifier.Predictor.Probabilities(prepared));
        };
    }

    private static float[][] Split(Tensor probabilities)
    {
        int n = probabilities.Shape[0], k = probabilities.Shape[1];
        var flat = probabilities.ToArray();
        var rows = new float[n][];
        for (int i = 0; i < n; i++) rows[i] = flat.AsSpan(i * k, k).ToArray();
        return rows;
    }

    private static void CheckCount(int count, string param)
    {
        if (count == 0) throw ApiError.BadRequest($"'{param}' is empty", param);
        if (count > MaxInputs) throw ApiError.BadRequest($"at most {MaxInputs} inputs per request, got {count}", param);
    }

    /// <summary>A multipart form's top_k, refused as the JSON field is when it is not an integer from 1 to 100,000.</summary>
    private static int? FormTopK(string text)
    {
        if (text.Length == 0) return null;
        if (!int.TryParse(text, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out int k) || k < 1 || k > 100_000)
            throw ApiError.BadRequest($"'top_k' must be an integer between 1 and 100000, got '{text}'", "top_k");
        return k;
    }
}
