using Sapling.Inference;
using Sapling.Serving.Catalog;
using Sapling.Data.Text;

namespace Sapling.Serving.Api;

/// <summary>What a completion or chat request asks for, checked against the model before anything is queued.</summary>
public sealed record GenerationSettings(int[] Prompt, SamplingOptions Sampling, IReadOnlyList<string> Stops, bool Stream, bool IncludeUsage)
{
    /// <summary>Reads the fields /v1/completions and /v1/chat/completions share; <paramref name="prompt"/> is already tokenised.</summary>
    public static GenerationSettings Read(JsonBody body, ServedLanguageModel model, int[] prompt, bool chat)
    {
        foreach (var unsupported in new[] { "presence_penalty", "frequency_penalty" })
            if (body.Number(unsupported, 0, -2, 2) != 0) throw ApiError.BadRequest($"'{unsupported}' is not supported by this server; leave it at 0", unsupported);
        if (body.Get("logprobs") is { ValueKind: not System.Text.Json.JsonValueKind.False })
            throw ApiError.BadRequest("'logprobs' is not supported by this server", "logprobs");
        if (body.Integer("n", 1, 128) is > 1) throw ApiError.BadRequest("'n' must be 1 on this server; send several requests instead", "n");
        RefuseUnhonoured(body);
        if (prompt.Length == 0) prompt = [model.Tokenizer.EndOfTextId];
        int context = model.Context;
        if (prompt.Length >= context)
            throw ApiError.BadRequest($"this model's maximum context length is {context} tokens, but the prompt has {prompt.Length} tokens", chat ? "messages" : "prompt", "context_length_exceeded");
        int room = context - prompt.Length;
        string maxName = chat && body.Has("max_completion_tokens") ? "max_completion_tokens" : "max_tokens";
        long? requested = body.Integer(maxName, long.MinValue, long.MaxValue);
        if (requested is < 0) throw ApiError.BadRequest($"'{maxName}' must be ≥ 0, got {requested}", maxName);
        if (requested > room)
            throw ApiError.BadRequest($"this model's maximum context length is {context} tokens: the prompt's {prompt.Length} tokens plus {maxName} {requested} exceed it", maxName, "context_length_exceeded");
        // OpenAI's defaults: 16 tokens for a completion, as much as fits for a chat answer.
        int maxTokens = (int)(requested ?? (chat ? room : Math.Min(16, room)));
        var sampling = new SamplingOptions
        {
            MaxNewTokens = maxTokens,
            Temperature = (float)body.Number("temperature", 1, 0, 2),
            TopP = (float)body.Number("top_p", 1, 1e-6, 1),
            Seed = (ulong)(body.Integer("seed", long.MinValue, long.MaxValue) ?? Random.Shared.NextInt64()),
            StopIds = model.StopIds(chat),
        };
        bool stream = body.Bool("stream", false);
        bool includeUsage = false;
        if (body.Get("stream_options") is { } options)
        {
            if (options.ValueKind != System.Text.Json.JsonValueKind.Object) throw ApiError.BadRequest("'stream_options' must be an object", "stream_options");
            includeUsage = new JsonBody(options).Bool("include_usage", false);
        }
        return new GenerationSettings(prompt, sampling, body.Strings("stop", 4), stream, includeUsage);
    }

    /// <summary>
    /// OpenAI fields that change what is generated and that this server does not do: a request setting one to
    /// anything but its neutral value is answered 400 (as OpenAI answers values it does not support), never
    /// generated as if the field were absent. Fields that change nothing here (user, metadata, store) pass.
    /// </summary>
    private static void RefuseUnhonoured(JsonBody body)
    {
        if (body.Get("logit_bias") is { } bias && !(bias.ValueKind == System.Text.Json.JsonValueKind.Object && !bias.EnumerateObject().Any()))
            throw ApiError.BadRequest("'logit_bias' is not supported by this server", "logit_bias");
        foreach (var name in new[] { "top_logprobs", "tools", "tool_choice", "functions", "function_call", "suffix" })
            if (body.Has(name)) throw ApiError.BadRequest($"'{name}' is not supported by this server", name);
        if (body.Integer("best_of", 1, 128) is > 1) throw ApiError.BadRequest("'best_of' must be 1 on this server", "best_of");
        if (body.Bool("echo", false)) throw ApiError.BadRequest("'echo' is not supported by this server", "echo");
        if (body.Get("response_format") is { } format
            && !(format.ValueKind == System.Text.Json.JsonValueKind.Object && format.TryGetProperty("type", out var type) && type.ValueKind == System.Text.Json.JsonValueKind.String && type.GetString() == "text"))
            throw ApiError.BadRequest("'response_format' other than {\"type\": \"text\"} is not supported by this server", "response_format");
    }

    /// <summary>The prompt of /v1/completions: a string, or an array holding one string or one list of token ids.</summary>
    public static int[] CompletionPrompt(JsonBody body, ServedLanguageModel model)
    {
        if (body.Get("prompt") is not { } prompt) throw ApiError.BadRequest("'prompt' is required", "prompt");
        if (prompt.ValueKind == System.Text.Json.JsonValueKind.String) return model.Tokenizer.Encode(prompt.GetString()!);
        if (prompt.ValueKind == System.Text.Json.JsonValueKind.Array)
        {
            var items = prompt.EnumerateArray().ToList();
            if (items.Count == 1 && items[0].ValueKind == System.Text.Json.JsonValueKind.String) return model.Tokenizer.Encode(items[0].GetString()!);
            if (items.All(i => i.ValueKind == System.Text.Json.JsonValueKind.Number))
            {
                var ids = new int[items.Count];
                for (int i = 0; i < ids.Length; i++)
                {
                    if (!items[i].TryGetInt32(out ids[i]) || ids[i] < 0 || ids[i] >= model.Model.VocabSize)
                        throw ApiError.BadRequest($"prompt token {items[i]} is outside the vocabulary of {model.Model.VocabSize}", "prompt");
                }
                return ids;
            }
            throw ApiError.BadRequest("'prompt' must be a string, an array of one string or an array of token ids (send several prompts as several requests)", "prompt");
        }
        throw ApiError.BadRequest("'prompt' must be a string", "prompt");
    }

    /// <summary>The prompt of /v1/chat/completions: the messages rendered with the model folder's chat template.</summary>
    public static int[] ChatPrompt(JsonBody body, ServedLanguageModel model)
    {
        if (!model.HasChatTemplate)
            throw ApiError.BadRequest($"model '{model.Id}' has no chat template (tokenizer_config.json, with its special tokens in tokenizer.json); use /v1/completions, or fine-tune it with method sft", "model");
        if (body.Get("messages") is not { ValueKind: System.Text.Json.JsonValueKind.Array } messages || messages.GetArrayLength() == 0)
            throw ApiError.BadRequest("'messages' must be a non-empty array of {role, content} objects", "messages");
        var list = new List<ChatMessage>();
        foreach (var m in messages.EnumerateArray())
        {
            if (m.ValueKind != System.Text.Json.JsonValueKind.Object) throw ApiError.BadRequest("each message must be an object with 'role' and 'content'", "messages");
            var message = new JsonBody(m);
            var role = message.RequiredString("role");
            if (role == "developer") role = "system";
            if (!ChatTemplate.Roles.Contains(role)) throw ApiError.BadRequest($"message role '{role}' is not one of {string.Join(", ", ChatTemplate.Roles)}", "messages");
            list.Add(new ChatMessage(role, Content(message)));
        }
        try
        {
            return model.Tokenizer.Encode(model.ChatTemplate!.Render(list, addGenerationPrompt: true));
        }
        catch (Data.Text.Jinja.JinjaRenderException e)
        {
            // The template's own refusal (raise_exception), e.g. roles out of order: the client's conversation is at fault.
            throw ApiError.BadRequest($"the model's chat template rejects these messages: {e.Message}", "messages");
        }
    }

    /// <summary>A message's content: a string, or OpenAI's array of parts of which the text parts count.</summary>
    private static string Content(JsonBody message)
    {
        if (message.Get("content") is not { } content) return "";
        if (content.ValueKind == System.Text.Json.JsonValueKind.String) return content.GetString()!;
        if (content.ValueKind == System.Text.Json.JsonValueKind.Array)
            return string.Concat(content.EnumerateArray().Select(part =>
                part.ValueKind == System.Text.Json.JsonValueKind.Object && part.TryGetProperty("type", out var t) && t.GetString() == "text" && part.TryGetProperty("text", out var text) && text.ValueKind == System.Text.Json.JsonValueKind.String
                    ? text.GetString()
                    : throw ApiError.BadRequest("only text content parts are supported", "messages")));
        throw ApiError.BadRequest("message 'content' must be a string or an array of text parts", "messages");
    }
}
