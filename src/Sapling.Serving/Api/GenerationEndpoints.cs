using System.Buffers;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Sapling.Serving.Catalog;
using Sapling.Serving.Generation;

namespace Sapling.Serving.Api;

/// <summary>
/// POST /v1/completions and /v1/chat/completions: the request is checked, queued on its model's continuous batcher,
/// and answered either whole or as server-sent events (one chunk per piece of text, a last chunk with the finish
/// reason, optionally a usage chunk, then <c>data: [DONE]</c>).
/// </summary>
public sealed class GenerationEndpoints(ModelCatalog catalog, InferenceEngine engine, ServeOptions options)
{
    /// <summary>Answers POST /v1/completions: continues <c>"prompt"</c> (text or token ids).</summary>
    public Task Completions(HttpContext context) => Handle(context, chat: false);

    /// <summary>
    /// Answers POST /v1/chat/completions: renders <c>"messages"</c> with the model's chat template and generates the
    /// assistant's reply; a model without a chat template is a 400.
    /// </summary>
    public Task ChatCompletions(HttpContext context) => Handle(context, chat: true);

    private async Task Handle(HttpContext context, bool chat)
    {
        var body = await JsonBody.ReadAsync(context);
        var model = FindLanguageModel(body);
        context.Items[RequestLog.ModelKey] = model.Id;
        var prompt = chat ? GenerationSettings.ChatPrompt(body, model) : GenerationSettings.CompletionPrompt(body, model);
        var settings = GenerationSettings.Read(body, model, prompt, chat);
        var request = new GenerationRequest(settings.Prompt, settings.Sampling, settings.Stops, context.RequestAborted, DateTime.UtcNow + options.RequestTimeout);
        if (!engine.TrySubmit(model.Id, request))
            throw new ApiError(429, $"model '{model.Id}' has {options.QueueCapacity} requests waiting already; retry later", code: "queue_full");
        var reply = new Reply(chat, model.Id);
        Finished finished;
        if (settings.Stream) finished = await Stream(context, request, reply, settings.IncludeUsage);
        else finished = await Whole(context, request, reply);
        context.Items[RequestLog.PromptTokensKey] = finished.PromptTokens;
        context.Items[RequestLog.CompletionTokensKey] = finished.CompletionTokens;
    }

    private ServedLanguageModel FindLanguageModel(JsonBody body)
    {
        var id = body.RequiredString("model");
        return catalog.Find(id) switch
        {
            ServedLanguageModel lm => lm,
            null => throw new ApiError(404, $"the model '{id}' does not exist; GET /v1/models lists the models served", "model", "model_not_found"),
            var other => throw ApiError.BadRequest($"model '{id}' is a {other.Kind}; use POST /v1/classify", "model"),
        };
    }

    private static async Task<Finished> Whole(HttpContext context, GenerationRequest request, Reply reply)
    {
        var text = new System.Text.StringBuilder();
        Finished? finished = null;
        await foreach (var e in request.Events.ReadAllAsync(context.RequestAborted))
        {
            if (e is TextDelta d) text.Append(d.Text);
            else if (e is Finished f) finished = f;
        }
        if (finished is null) throw new InvalidOperationException("the generation ended without a result");
        if (finished.FinishReason == "timeout")
            throw new ApiError(504, "the request ran past the server's time limit and was stopped", code: "timeout");
        await Results.WriteJson(context, 200, reply.Whole(text.ToString(), finished));
        return finished;
    }

    private static async Task<Finished> Stream(HttpContext context, GenerationRequest request, Reply reply, bool includeUsage)
    {
        var response = context.Response;
        response.StatusCode = 200;
        response.ContentType = "text/event-stream; charset=utf-8";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
        await response.StartAsync(context.RequestAborted);
        if (reply.Chat) await ServerSentEvents.Write(response, reply.Chunk(new JsonObject { ["role"] = "assistant", ["content"] = "" }, null), context.RequestAborted);
        Finished? finished = null;
        var events = request.Events;
        while (finished == null && await events.WaitToReadAsync(context.RequestAborted))
        {
            // Everything already queued goes out in one flush: under load one write carries several tokens.
            while (finished == null && events.TryRead(out var e))
            {
                if (e is TextDelta d)
                    reply.WriteDelta(response.BodyWriter, d.Text);
                else if (e is Finished f)
                    finished = f;
            }
            await response.Body.FlushAsync(context.RequestAborted);
        }
        if (finished is null) throw new InvalidOperationException("the generation ended without a result");
        if (finished.FinishReason == "timeout")
        {
            // Headers are gone already: the error travels as an event, as OpenAI's streams report failures.
            await ServerSentEvents.Write(response, new ApiError(504, "the request ran past the server's time limit and was stopped", code: "timeout").ToJson(), context.RequestAborted);
        }
        else
        {
            var last = reply.Chat ? reply.Chunk(new JsonObject(), finished.FinishReason) : reply.TextChunk("", finished.FinishReason);
            await ServerSentEvents.Write(response, last, context.RequestAborted);
            if (includeUsage) await ServerSentEvents.Write(response, reply.UsageChunk(finished), context.RequestAborted);
        }
        await ServerSentEvents.Done(response, context.RequestAborted);
        return finished;
    }

    /// <summary>The response objects of one request, sharing its id and creation time.</summary>
    private sealed class Reply(bool chat, string model)
    {
        private readonly string id = (chat ? "chatcmpl-" : "cmpl-") + Guid.NewGuid().ToString("N")[..24];
        private readonly long created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

        public bool Chat { get; } = chat;

        private byte[]? deltaPrefix;
        private byte[]? deltaSuffix;

        /// <summary>
        /// One streamed piece of text as a whole SSE event, the same JSON as <see cref="Chunk"/> or <see cref="TextChunk"/>
        /// give, from byte templates made once per request: this runs for every token of every stream.
        /// </summary>
        public void WriteDelta(System.IO.Pipelines.PipeWriter writer, string text)
        {
            if (deltaPrefix == null)
            {
                var sample = Chat ? Chunk(new JsonObject { ["content"] = "\u0001" }, null) : TextChunk("\u0001", null);
                var json = "data: " + sample.ToJsonString(Results.JsonOptions) + "\n\n";
                int at = json.IndexOf("\"\\u0001\"", StringComparison.Ordinal);
                deltaPrefix = System.Text.Encoding.UTF8.GetBytes(json[..at]);
                deltaSuffix = System.Text.Encoding.UTF8.GetBytes(json[(at + 8)..]);
            }
            writer.Write(deltaPrefix);
            writer.Write(System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(text, Results.JsonOptions));
            writer.Write(deltaSuffix);
        }

        public JsonObject Whole(string text, Finished f) => Envelope(Chat ? "chat.completion" : "text_completion", new JsonArray(Chat
            ? new JsonObject { ["index"] = 0, ["message"] = new JsonObject { ["role"] = "assistant", ["content"] = text }, ["logprobs"] = null, ["finish_reason"] = f.FinishReason }
            : new JsonObject { ["index"] = 0, ["text"] = text, ["logprobs"] = null, ["finish_reason"] = f.FinishReason }), Usage(f));

        public JsonObject Chunk(JsonObject delta, string? finishReason) => Envelope("chat.completion.chunk",
            new JsonArray(new JsonObject { ["index"] = 0, ["delta"] = delta, ["logprobs"] = null, ["finish_reason"] = finishReason }), null);

        public JsonObject TextChunk(string text, string? finishReason) => Envelope("text_completion",
            new JsonArray(new JsonObject { ["index"] = 0, ["text"] = text, ["logprobs"] = null, ["finish_reason"] = finishReason }), null);

        public JsonObject UsageChunk(Finished f) => Envelope(Chat ? "chat.completion.chunk" : "text_completion", new JsonArray(), Usage(f));

        private JsonObject Envelope(string type, JsonArray choices, JsonObject? usage)
        {
            var o = new JsonObject { ["id"] = id, ["object"] = type, ["created"] = created, ["model"] = model, ["choices"] = choices };
            if (usage != null) o["usage"] = usage;
            return o;
        }

        private static JsonObject Usage(Finished f) => new()
        {
            ["prompt_tokens"] = f.PromptTokens,
            ["completion_tokens"] = f.CompletionTokens,
            ["total_tokens"] = f.PromptTokens + f.CompletionTokens,
        };
    }
}
