using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Sapling.Serving.Api;
using Sapling.Serving.Catalog;
using Sapling.Serving.Generation;
using Sapling.Serving.Operations;

namespace Sapling.Serving;

/// <summary>
/// <c>sapling serve</c>: the models of a catalog behind an OpenAI-compatible HTTP API (Kestrel from the shared
/// ASP.NET Core framework), with continuous batching, Prometheus metrics, request logs and a web playground.
/// Stopping (Ctrl+C, SIGTERM or <see cref="StopAsync"/>) stops accepting connections and lets in-flight requests finish.
/// </summary>
public sealed class SaplingServer : IAsyncDisposable
{
    private readonly WebApplication app;
    private readonly InferenceEngine engine;

    private SaplingServer(WebApplication app, InferenceEngine engine, ServerMetrics metrics, ModelCatalog catalog)
    {
        (this.app, this.engine, Metrics, Catalog) = (app, engine, metrics, catalog);
    }

    /// <summary>The counters and histograms that GET /metrics reports.</summary>
    public ServerMetrics Metrics { get; }
    /// <summary>The models being served.</summary>
    public ModelCatalog Catalog { get; }

    /// <summary>Where the server listens, e.g. http://127.0.0.1:8080 (the real port when 0 was asked for).</summary>
    public Uri Address => new(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());

    /// <summary>Loads the models, binds the port and starts serving; <paramref name="log"/> receives one JSON line per request.</summary>
    public static async Task<SaplingServer> StartAsync(ServeOptions options, TextWriter? log = null)
    {
        options.Validate();
        var catalog = ModelCatalog.Load(options.Models);
        foreach (var classifier in catalog.Models.OfType<ServedClassifier>()) classifier.Predictor.MaxImagePixels = options.MaxImagePixels;
        var metrics = new ServerMetrics();
        var engine = new InferenceEngine(catalog, metrics, options);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.Logging.ClearProviders();
        builder.Services.Configure<HostOptions>(h => h.ShutdownTimeout = options.ShutdownTimeout);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Limits.MaxRequestBodySize = options.MaxBodyBytes;
            kestrel.Limits.KeepAliveTimeout = options.IdleTimeout;
            kestrel.Limits.RequestHeadersTimeout = options.HeadersTimeout;
            kestrel.AddServerHeader = false;
            if (options.Host is "localhost") kestrel.ListenLocalhost(options.Port);
            else if (IPAddress.TryParse(options.Host, out var ip)) kestrel.Listen(ip, options.Port);
            else throw new ArgumentException($"--host must be an IP address or localhost, got '{options.Host}'");
        });
        var app = builder.Build();
        Route(app, catalog, engine, metrics, options, log ?? TextWriter.Null);
        var server = new SaplingServer(app, engine, metrics, catalog);
        app.Lifetime.ApplicationStopped.Register(engine.Dispose);
        try
        {
            await app.StartAsync();
        }
        catch (IOException e)
        {
            engine.Dispose();
            throw new IOException($"cannot listen on {options.Host}:{options.Port}: {e.Message}", e);
        }
        return server;
    }

    private static void Route(WebApplication app, ModelCatalog catalog, InferenceEngine engine, ServerMetrics metrics, ServeOptions options, TextWriter log)
    {
        var requestLog = new RequestLog(metrics, options, log);
        var generation = new GenerationEndpoints(catalog, engine, options);
        var classify = new ClassifyEndpoint(catalog, engine);
        var embeddings = new EmbeddingsEndpoint(catalog, engine);
        var translate = new TranslateEndpoint(catalog, engine);
        var models = new ModelsEndpoint(catalog);
        app.Use(requestLog.Invoke);
        app.MapGet("/", (HttpContext c) => Playground.Write(c));
        app.MapGet("/health", (HttpContext c) => Api.Results.WriteJson(c, 200, new System.Text.Json.Nodes.JsonObject { ["status"] = "ok", ["models"] = catalog.Models.Count }));
        app.MapGet("/metrics", async (HttpContext c) =>
        {
            c.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
            await c.Response.WriteAsync(metrics.Render());
        });
        app.MapGet("/v1/models", (HttpContext c) => models.List(c));
        app.MapGet("/v1/models/{id}", (HttpContext c, string id) => models.Get(c, id));
        app.MapPost("/v1/completions", (HttpContext c) => generation.Completions(c));
        app.MapPost("/v1/chat/completions", (HttpContext c) => generation.ChatCompletions(c));
        app.MapPost("/v1/classify", (HttpContext c) => classify.Handle(c));
        app.MapPost("/v1/embeddings", (HttpContext c) => embeddings.Handle(c));
        app.MapPost("/v1/translate", (HttpContext c) => translate.Handle(c));
        app.MapFallback((HttpContext c) =>
        {
            var path = c.Request.Path.Value ?? "/";
            throw ApiRoutes.Methods.TryGetValue(path, out var method)
                ? new ApiError(405, $"{c.Request.Method} is not allowed on {path}; use {method}")
                : new ApiError(404, $"no route {c.Request.Method} {path}; the API is under /v1 (models, completions, chat/completions, classify, embeddings, translate)");
        });
    }

    /// <summary>Completes when the server has stopped (Ctrl+C, SIGTERM or <see cref="StopAsync"/>).</summary>
    public Task WaitForShutdownAsync() => app.WaitForShutdownAsync();

    /// <summary>Stops accepting work and waits (up to the shutdown timeout) for in-flight requests.</summary>
    public Task StopAsync() => app.StopAsync();

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
        engine.Dispose();
    }
}
