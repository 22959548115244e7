using System.Threading.Channels;
using Sapling.Inference;

namespace Sapling.Serving.Generation;

/// <summary>What a generation request hears back: pieces of text, then one end.</summary>
public abstract record GenerationEvent;

/// <summary>New text (already clear of stop strings and unfinished UTF-8 characters).</summary>
public sealed record TextDelta(string Text) : GenerationEvent;

/// <summary>
/// The end: <paramref name="FinishReason"/> is "stop" (end token or stop string), "length" (max tokens or the context),
/// or "timeout" (the request's deadline passed).
/// </summary>
public sealed record Finished(string FinishReason, int PromptTokens, int CompletionTokens) : GenerationEvent;

/// <summary>One prompt to continue, its sampling settings, and where its events go.</summary>
public sealed class GenerationRequest
{
    private readonly Channel<GenerationEvent> events = Channel.CreateUnbounded<GenerationEvent>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });

    public GenerationRequest(int[] prompt, SamplingOptions sampling, IReadOnlyList<string> stops, CancellationToken aborted, DateTime deadlineUtc)
    {
        Prompt = prompt;
        Sampling = sampling;
        Stops = stops;
        Aborted = aborted;
        DeadlineUtc = deadlineUtc;
    }

    public int[] Prompt { get; }
    public SamplingOptions Sampling { get; }
    public IReadOnlyList<string> Stops { get; }

    /// <summary>The client went away: stop spending compute on it.</summary>
    public CancellationToken Aborted { get; }

    public DateTime DeadlineUtc { get; }
    public DateTime EnqueuedUtc { get; } = DateTime.UtcNow;

    /// <summary>When the first token was sampled (time to first token), or null before.</summary>
    public DateTime? FirstTokenUtc { get; internal set; }

    public ChannelReader<GenerationEvent> Events => events.Reader;

    internal void Emit(GenerationEvent e)
    {
        events.Writer.TryWrite(e);
        if (e is Finished) events.Writer.TryComplete();
    }

    /// <summary>Ends the stream without a <see cref="Finished"/> event (the server is failing the request).</summary>
    internal void Fail(Exception error) => events.Writer.TryComplete(error);
}
