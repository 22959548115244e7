using System.Threading.Channels;
using Sapling.Inference;

namespace Sapling.Serving.Generation;

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
