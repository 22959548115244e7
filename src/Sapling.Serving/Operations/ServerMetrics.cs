using System.Collections.Concurrent;
using System.Globalization;
using System.Text;

namespace Sapling.Serving.Operations;

/// <summary>
/// What /metrics reports, in Prometheus's text format: requests by route and status, latency, queue depth, running
/// sequences, tokens generated and their rate, decode batch sizes and time to first token. Safe from any thread.
/// </summary>
public sealed class ServerMetrics
{
    private static readonly double[] LatencyBounds = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
    private static readonly double[] BatchBounds = [1, 2, 4, 8, 16, 32, 64];

    private readonly ConcurrentDictionary<(string Route, int Status), long> requests = new();
    private readonly ConcurrentDictionary<string, Histogram> latency = new();
    private readonly Histogram batchSize = new("sapling_decode_batch_size", "Sequences decoded together in one forward pass.", BatchBounds);
    private readonly Histogram firstToken = new("sapling_time_to_first_token_seconds", "From a generation request's arrival to its first sampled token.", LatencyBounds);
    private readonly DateTime started = DateTime.UtcNow;
    private readonly object rateGate = new();
    private long tokens;
    private long abandoned;
    private long rateTokens;
    private DateTime rateSince = DateTime.UtcNow;
    private double tokensPerSecond;

    /// <summary>Requests waiting for the engine (set by the engine).</summary>
    public Func<int> QueueDepth { get; set; } = () => 0;

    /// <summary>Sequences in running decode batches (set by the engine).</summary>
    public Func<int> RunningSequences { get; set; } = () => 0;

    /// <summary>Tokens sampled for all requests since start.</summary>
    public long TokensGenerated => Interlocked.Read(ref tokens);

    /// <summary>Counts an answered request by route and HTTP status, and its duration in seconds.</summary>
    public void CountRequest(string route, int status, double seconds)
    {
        requests.AddOrUpdate((route, status), 1, (_, n) => n + 1);
        latency.GetOrAdd(route, _ => new Histogram("sapling_request_duration_seconds", "Time from a request's arrival to the end of its response.", LatencyBounds)).Observe(seconds);
    }

    /// <summary>
    /// Counts sampled tokens, for the total and the tokens-per-second rate (updated about every five seconds).
    /// </summary>
    public void CountTokens(int count)
    {
        Interlocked.Add(ref tokens, count);
        lock (rateGate)
        {
            rateTokens += count;
            var elapsed = (DateTime.UtcNow - rateSince).TotalSeconds;
            // The rate is the count over windows of about five seconds, so it follows load without jittering per token.
            if (elapsed >= 5)
            {
                tokensPerSecond = rateTokens / elapsed;
                rateTokens = 0;
                rateSince = DateTime.UtcNow;
            }
        }
    }

    /// <summary>Counts a generation stopped because its client disconnected.</summary>
    public void CountAbandoned() => Interlocked.Increment(ref abandoned);

    /// <summary>Records the number of sequences in one decode step.</summary>
    public void ObserveBatch(int size) => batchSize.Observe(size);

    /// <summary>Records a request's time from arrival to its first sampled token, in seconds.</summary>
    public void ObserveTimeToFirstToken(double seconds) => firstToken.Observe(seconds);

    /// <summary>Requests answered so far on <paramref name="route"/> with <paramref name="status"/>.</summary>
    public long RequestCount(string route, int status) => requests.GetValueOrDefault((route, status));

    /// <summary>Every metric in Prometheus's text exposition format, as GET /metrics answers.</summary>
    public string Render()
    {
        var text = new StringBuilder();
        text.Append("# HELP sapling_requests_total Requests answered, by route and HTTP status.\n# TYPE sapling_requests_total counter\n");
        foreach (var ((route, status), n) in requests.OrderBy(p => p.Key.Route, StringComparer.Ordinal).ThenBy(p => p.Key.Status))
            text.Append("sapling_requests_total{route=\"").Append(Escape(route)).Append("\",status=\"").Append(status).Append("\"} ").Append(n).Append('\n');
        bool header = true;
        foreach (var (route, histogram) in latency.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            histogram.Write(text, $"route=\"{Escape(route)}\"", header);
            header = false;
        }
        Gauge(text, "sapling_queue_depth", "Requests waiting for a decode slot or the engine.", QueueDepth());
        Gauge(text, "sapling_running_sequences", "Sequences in the running decode batches.", RunningSequences());
        text.Append("# HELP sapling_tokens_generated_total Tokens sampled for all requests.\n# TYPE sapling_tokens_generated_total counter\n");
        text.Append("sapling_tokens_generated_total ").Append(TokensGenerated).Append('\n');
        double rate;
        lock (rateGate) rate = (DateTime.UtcNow - rateSince).TotalSeconds > 10 ? 0 : tokensPerSecond;
        Gauge(text, "sapling_tokens_per_second", "Tokens generated per second over the last few seconds.", rate);
        text.Append("# HELP sapling_abandoned_requests_total Generations stopped because their client disconnected.\n# TYPE sapling_abandoned_requests_total counter\n");
        text.Append("sapling_abandoned_requests_total ").Append(Interlocked.Read(ref abandoned)).Append('\n');
        batchSize.Write(text);
        firstToken.Write(text);
        Gauge(text, "sapling_uptime_seconds", "Seconds since the server started.", (DateTime.UtcNow - started).TotalSeconds);
        Gauge(text, "sapling_memory_bytes", "Memory the process holds (working set).", Environment.WorkingSet);
        return text.ToString();
    }

    private static void Gauge(StringBuilder text, string name, string help, double value) =>
        text.Append("# HELP ").Append(name).Append(' ').Append(help).Append("\n# TYPE ").Append(name).Append(" gauge\n")
            .Append(name).Append(' ').Append(value.ToString("R", CultureInfo.InvariantCulture)).Append('\n');

    private static string Escape(string label) => label.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("\n", "\\n");
}
