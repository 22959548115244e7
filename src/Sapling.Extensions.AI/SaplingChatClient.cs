using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Microsoft.Extensions.AI;
using Sapling.Inference;
using Sapling.Models;
using Sapling.Models.Adapters;
using Sapling.Data.Text;
using AiChatMessage = Microsoft.Extensions.AI.ChatMessage;

namespace Sapling.Extensions.AI;

/// <summary>
/// A local Sapling language model (a folder with a chat template, or a GGUF file) as Microsoft.Extensions.AI's
/// <see cref="IChatClient"/>: messages are rendered with the model's own chat template, generation streams text as it
/// completes (whole UTF-8 characters), and <see cref="ChatOptions"/> map onto Sapling's sampling: Temperature, TopP,
/// TopK, MaxOutputTokens, StopSequences, Seed and Instructions (a system message). What a local model cannot do
/// (tools, a response format, frequency or presence penalties, reasoning options, non-text content) is refused by name.
/// One generation runs at a time; concurrent calls wait their turn.
/// </summary>
public sealed class SaplingChatClient : IChatClient
{
    private readonly ICausalLM model;
    private readonly ITokenizer tokenizer;
    private readonly ChatTemplate template;
    private readonly HashSet<int> stopIds;
    private readonly GenerationConfig? generation;
    private readonly SemaphoreSlim gate = new(1, 1);
    private readonly ChatClientMetadata metadata;

    /// <summary>
    /// Creates a client over a loaded model. <paramref name="stopIds"/> end an answer, as do the template's end-of-turn
    /// tokens; <paramref name="modelId"/> is the id reported in responses and metadata; <paramref name="generation"/>
    /// supplies the folder's recommended sampling for settings a call leaves out. Refuses a tokenizer that lacks the
    /// template's special tokens.
    /// </summary>
    public SaplingChatClient(ICausalLM model, ITokenizer tokenizer, ChatTemplate template, IEnumerable<int> stopIds, string modelId, GenerationConfig? generation = null)
    {
        if (!template.HasSpecialTokens(tokenizer)) throw new ArgumentException($"the tokenizer lacks the chat template's special tokens {string.Join(" ", template.SpecialTokens)}");
        (this.model, this.tokenizer, this.template, this.generation) = (model, tokenizer, template, generation);
        this.stopIds = [.. stopIds, .. template.StopIds(tokenizer)];
        ModelId = modelId;
        metadata = new ChatClientMetadata("sapling", null, modelId);
    }

    /// <summary>A model folder (or GGUF file) with its tokenizer and chat template, optionally with a LoRA or prompt-tuning adapter.</summary>
    public static SaplingChatClient Load(string modelPath, string? adapterDirectory = null)
    {
        var template = ModelRegistry.LoadChatTemplate(modelPath)
            ?? throw new InvalidDataException($"'{modelPath}' declares no chat template (tokenizer_config.json); fine-tune it with method sft first");
        var model = PeftAdapter.LoadLanguageModel(modelPath, adapterDirectory);
        var tokenizer = ModelRegistry.RequireTokenizer(modelPath, "to chat with");
        var generation = Models.Gguf.GgufModel.IsGgufPath(modelPath) ? null : GenerationConfig.Load(modelPath);
        return new SaplingChatClient(model, tokenizer, template, PromptTokens.StopIds(model, tokenizer, generation), Path.GetFileName(Path.TrimEndingDirectorySeparator(modelPath)), generation);
    }

    /// <summary>
    /// The id reported in responses and metadata; a call whose ChatOptions.ModelId differs is refused.
    /// </summary>
    public string ModelId { get; }

    /// <summary>Answer length when ChatOptions.MaxOutputTokens is not given (and generation_config.json sets none).</summary>
    public int DefaultMaxOutputTokens { get; init; } = 256;

    /// <inheritdoc/>
    public async Task<ChatResponse> GetResponseAsync(IEnumerable<AiChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        await GetStreamingResponseAsync(messages, options, cancellationToken).ToChatResponseAsync(cancellationToken).ConfigureAwait(false);

    /// <inheritdoc/>
    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<AiChatMessage> messages, ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var (prompt, sampling, stops) = Prepare(messages, options);
        string responseId = Guid.NewGuid().ToString("N"), messageId = Guid.NewGuid().ToString("N");
        var created = DateTimeOffset.UtcNow;
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        // Cancelled by the caller, or by this iterator when the caller stops reading before the end.
        using var generation = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Task<(int Generated, ChatFinishReason Reason)>? work = null;
        try
        {
            var channel = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
            work = Task.Run(() => Generate(prompt, sampling, stops, channel.Writer, generation.Token), generation.Token);
            await foreach (var text in channel.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                // Text already generated is not handed out once the caller has cancelled.
                cancellationToken.ThrowIfCancellationRequested();
                yield return new ChatResponseUpdate(ChatRole.Assistant, text) { ResponseId = responseId, MessageId = messageId, ModelId = ModelId, CreatedAt = created };
            }
            var (generated, reason) = await work.ConfigureAwait(false);
            var usage = new UsageDetails { InputTokenCount = prompt.Length, OutputTokenCount = generated, TotalTokenCount = prompt.Length + generated };
            yield return new ChatResponseUpdate(ChatRole.Assistant, [new UsageContent(usage)])
            {
                ResponseId = responseId, MessageId = messageId, ModelId = ModelId, CreatedAt = created, FinishReason = reason,
            };
        }
        finally
        {
            // A cancelled or abandoned stream stops its generation at the next token before the next call starts.
            if (work != null)
            {
                if (!work.IsCompleted) await generation.CancelAsync().ConfigureAwait(false);
                try { await work.ConfigureAwait(false); }
                catch (Exception) when (work.IsCanceled || work.IsFaulted) { }
            }
            gate.Release();
        }
    }

    /// <summary>Runs the model, writing text to <paramref name="writer"/> as it completes; returns the tokens generated and why it ended.</summary>
    private (int, ChatFinishReason) Generate(int[] prompt, SamplingOptions sampling, StopMatcher stops, ChannelWriter<string> writer, CancellationToken cancellationToken)
    {
        var stream = new TokenTextStream(tokenizer);
        int generated = 0;
        bool stoppedByToken = false;
        try
        {
            TextGenerator.Generate(model, prompt, sampling, id =>
            {
                cancellationToken.ThrowIfCancellationRequested();
                generated++;
                if (stopIds.Contains(id)) { stoppedByToken = true; return; }
                var text = stops.Push(stream.Push(id));
                if (text.Length > 0) writer.TryWrite(text);
                if (stops.Stopped) throw new StopSequenceReached();
            });
            if (!stops.Stopped)
            {
                var rest = stops.Push(stream.Flush()) + stops.Flush();
                if (rest.Length > 0) writer.TryWrite(rest);
            }
            writer.TryComplete();
        }
        catch (StopSequenceReached)
        {
            writer.TryComplete();
        }
        catch (Exception e)
        {
            writer.TryComplete(e);
            throw;
        }
        return (generated, stoppedByToken || stops.Stopped ? ChatFinishReason.Stop : ChatFinishReason.Length);
    }

    private sealed class StopSequenceReached : Exception;

    /// <summary>The prompt ids, the sampling settings and the stop-sequence filter for one request; refuses what cannot be honoured.</summary>
    private (int[] Prompt, SamplingOptions Sampling, StopMatcher Stops) Prepare(IEnumerable<AiChatMessage> messages, ChatOptions? options)
    {
        ArgumentNullException.ThrowIfNull(messages);
        options ??= new ChatOptions();
        if (options.Tools is { Count: > 0 }) throw new NotSupportedException("ChatOptions.Tools: tool calling is not supported by Sapling's chat client");
        if (options.ResponseFormat is not (null or ChatResponseFormatText)) throw new NotSupportedException("ChatOptions.ResponseFormat: only text responses are supported");
        if (options.FrequencyPenalty is { } f && f != 0) throw new NotSupportedException("ChatOptions.FrequencyPenalty is not supported (use AdditionalProperties[\"repetition_penalty\"])");
        if (options.PresencePenalty is { } p && p != 0) throw new NotSupportedException("ChatOptions.PresencePenalty is not supported (use AdditionalProperties[\"repetition_penalty\"])");
        if (options.Reasoning != null) throw new NotSupportedException("ChatOptions.Reasoning is not supported");
        if (options.ModelId != null && options.ModelId != ModelId) throw new ArgumentException($"ChatOptions.ModelId '{options.ModelId}' is not this client's model '{ModelId}'");
        float? repetition = null;
        foreach (var (key, value) in options.AdditionalProperties ?? [])
        {
            if (key != "repetition_penalty") throw new NotSupportedException($"ChatOptions.AdditionalProperties[\"{key}\"] is not supported (repetition_penalty is)");
            repetition = Convert.ToSingle(value, System.Globalization.CultureInfo.InvariantCulture);
        }

        var history = new List<Data.Text.ChatMessage>();
        if (options.Instructions is { Length: > 0 } instructions) history.Add(new Data.Text.ChatMessage("system", instructions));
        int index = 0;
        foreach (var message in messages)
        {
            string role = message.Role == ChatRole.System ? "system" : message.Role == ChatRole.User ? "user" : message.Role == ChatRole.Assistant ? "assistant"
                : throw new NotSupportedException($"messages[{index}]: role '{message.Role}' is not supported (system, user and assistant are)");
            foreach (var content in message.Contents)
                if (content is not TextContent) throw new NotSupportedException($"messages[{index}]: {content.GetType().Name} is not supported; Sapling's chat models read text");
            history.Add(new Data.Text.ChatMessage(role, message.Text));
            index++;
        }
        if (history.Count == 0) throw new ArgumentException("messages: the conversation is empty");
        var prompt = tokenizer.Encode(template.Render(history, addGenerationPrompt: true));
        int room = model.ContextLength - model.VirtualTokens - prompt.Length;
        if (room < 1) throw new ArgumentException($"messages: the conversation is {prompt.Length} tokens and leaves no room to answer in the model's context of {model.ContextLength}");

        var given = new HashSet<string>();
        var sampling = new SamplingOptions { MaxNewTokens = DefaultMaxOutputTokens, Seed = options.Seed is long seed ? unchecked((ulong)seed) : (ulong)Random.Shared.NextInt64() };
        if (options.Temperature is float temperature) (sampling, _) = (sampling with { Temperature = temperature }, given.Add("temperature"));
        if (options.TopP is float topP) (sampling, _) = (sampling with { TopP = topP }, given.Add("top_p"));
        if (options.TopK is int topK) (sampling, _) = (sampling with { TopK = topK }, given.Add("top_k"));
        if (repetition is float r) (sampling, _) = (sampling with { RepetitionPenalty = r }, given.Add("repetition_penalty"));
        if (options.MaxOutputTokens is int max)
        {
            if (max < 1) throw new ArgumentOutOfRangeException(nameof(options), max, "ChatOptions.MaxOutputTokens must be at least 1");
            (sampling, _) = (sampling with { MaxNewTokens = max }, given.Add("max_new_tokens"));
        }
        if (generation != null) sampling = generation.ApplyTo(sampling, given);
        sampling = sampling with { MaxNewTokens = Math.Min(sampling.MaxNewTokens, room) };
        try
        {
            sampling.Validate();
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw new ArgumentException($"ChatOptions: {e.Message}", nameof(options), e);
        }
        var stopSequences = options.StopSequences ?? [];
        if (stopSequences.Any(string.IsNullOrEmpty)) throw new ArgumentException("ChatOptions.StopSequences holds an empty string");
        return (prompt, sampling, new StopMatcher(stopSequences.ToArray()));
    }

    /// <inheritdoc/>
    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey != null) return null;
        if (serviceType == typeof(ChatClientMetadata)) return metadata;
        if (serviceType == typeof(ICausalLM)) return model;
        return serviceType.IsInstanceOfType(this) ? this : null;
    }

    /// <inheritdoc/>
    public void Dispose() => gate.Dispose();
}
