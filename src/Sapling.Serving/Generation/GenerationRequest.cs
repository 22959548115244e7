using System.Threading.Channels;
using Sapling.Inference;

namespace Sapling.Serving.Generation;

/// <summary>One prompt to continue, its sampling settings, and where its events go.</summary>
public sealed class GenerationRequest
{
    private readonly Channel<GenerationEvent> events = Channel.CreateUnbounded<GenerationEvent>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });

    /// <summary>
    /// Creates a request; <paramref name="aborted"/> fires when the client disconnects, and generation stops at
    /// <paramref name="deadlineUtc"/>.
    /// </summary>
    public GenerationRequest(int[] prompt, SamplingOptions sampling, IReadOnlyList<string> stops, CancellationToken aborted, DateTime deadlineUtc)
    {
        Prompt = prompt;
        Sampling = sampling;
        Stops = stops;
        Aborted = aborted;
        DeadlineUtc = deadlineUtc;
    }

    /// <summary>The prompt's token ids.</summary>
    public int[] Prompt { get; }
    /// <summary>How each next token is picked, and how many at most.</summary>
    public SamplingOptions Sampling { get; }
    /// <summary>Strings that end the answer when generated; they are not sent to the client.</summary>
    public IReadOnlyList<string> Stops { get; }

    /// <summary>The client went away: stop spending compute on it.</summary>
    public CancellationToken Aborted { get; }

    /// <summary>
    /// When the request times out (UTC): a request still waiting or running then finishes with "timeout".
    /// </summary>
    public DateTime DeadlineUtc { get; }
    /// <summary>When the request was created (UTC), the start of its time to first token.</summary>
    public DateTime EnqueuedUtc { get; } = DateTime.UtcNow;

    /// <summary>When the first token was sampled (time to first token), or null before.</summary>
    public DateTime? FirstTokenUtc { get; internal set; }

    /// <summary>
    /// The text pieces and the final <see cref="Finished"/> event, in order; the stream ends after it, or with an error
    /// when the server fails the request.
    /// </summary>
    public ChannelReader<GenerationEvent> Events => events.Reader;

    internal void Emit(GenerationEvent e)
    {
        events.Writer.TryWrite(e);
        if (e is Finished) events.Writer.TryComplete();
    }

    /// <summary>Ends the stream without a <see cref="Finished"/> event (the server is failing the request).</summary>
    internal void Fail(Exception error) => events.Writer.TryComplete(error);
}
