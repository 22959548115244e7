namespace Sapling.Serving;

/// <summary>How <c>sapling serve</c> runs: what it serves, where it listens and the limits it enforces.</summary>
public sealed record ServeOptions
{
    /// <summary>
    /// The model folders (or GGUF files) to serve, each with the id clients call it by; at least one.
    /// </summary>
    public required IReadOnlyList<ModelSource> Models { get; init; }
    /// <summary>The address to listen on: an IP address or "localhost".</summary>
    public string Host { get; init; } = "127.0.0.1";

    /// <summary>0 picks a free port (tests); the bound address is reported once listening.</summary>
    public int Port { get; init; } = 8080;

    /// <summary>When set, every route but /health needs <c>Authorization: Bearer KEY</c> (the playground page also takes <c>?api_key=KEY</c>).</summary>
    public string? ApiKey { get; init; }

    /// <summary>Largest request body accepted; larger ones get 413 before the body is read.</summary>
    public long MaxBodyBytes { get; init; } = 8L << 20;

    /// <summary>Sequences decoded together in one forward pass, per model.</summary>
    public int MaxBatch { get; init; } = 32;

    /// <summary>Requests waiting for a decode slot, per model; one more gets 429.</summary>
    public int QueueCapacity { get; init; } = 256;

    /// <summary>A request still running after this long is stopped and answered 504.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>How long shutdown waits for in-flight requests to finish.</summary>
    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>A kept-alive connection with no request for this long is closed.</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>A client that has not sent a whole request head in this long is disconnected (slow-header attacks).</summary>
    public TimeSpan HeadersTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Pixel budget (width × height) of an uploaded image: a larger one is refused with 400 before it is decoded.
    /// Lower than the library's default, since a few hundred bytes of PNG can claim 16,000 × 16,000 pixels.
    /// </summary>
    public long MaxImagePixels { get; init; } = 4096L * 4096;

    /// <summary>Write one JSON line per request to standard output.</summary>
    public bool LogRequests { get; init; } = true;

    /// <summary>
    /// Refuses no models, two models with the same id, an empty API key, and limits or timeouts out of range.
    /// </summary>
    public void Validate()
    {
        if (Models.Count == 0) throw new ArgumentException("serve needs at least one --model folder");
        var duplicate = Models.GroupBy(m => m.Id).FirstOrDefault(g => g.Count() > 1);
        if (duplicate != null) throw new ArgumentException($"two models would both be served as '{duplicate.Key}'; give one of them another --name");
        if (Port is < 0 or > 65535) throw new ArgumentOutOfRangeException(nameof(Port), $"port must be in 0..65535, got {Port}");
        if (MaxBatch < 1) throw new ArgumentOutOfRangeException(nameof(MaxBatch), $"max batch must be ≥ 1, got {MaxBatch}");
        if (QueueCapacity < 1) throw new ArgumentOutOfRangeException(nameof(QueueCapacity), $"queue capacity must be ≥ 1, got {QueueCapacity}");
        if (MaxBodyBytes < 1024) throw new ArgumentOutOfRangeException(nameof(MaxBodyBytes), $"max body must be ≥ 1024 bytes, got {MaxBodyBytes}");
        if (RequestTimeout <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(RequestTimeout), "request timeout must be positive");
        if (ApiKey is { Length: 0 }) throw new ArgumentException("an API key may not be empty");
        if (IdleTimeout <= TimeSpan.Zero || HeadersTimeout <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(IdleTimeout), "idle and header timeouts must be positive");
        if (MaxImagePixels < 1) throw new ArgumentOutOfRangeException(nameof(MaxImagePixels), $"the image pixel budget must be positive, got {MaxImagePixels}");
    }
}
