using System.CommandLine;
using Sapling.Serving;

namespace Sapling.Cli.Commands;

/// <summary>
/// <c>sapling serve --model DIR [--model DIR2 ...] [--name ID ...] --port 8080</c>: an OpenAI-compatible server for
/// language models and classifiers with a web playground at /. Ctrl+C or SIGTERM stops it after in-flight requests.
/// </summary>
public static class ServeCommand
{
    /// <summary>Builds the <c>sapling serve</c> command with its options and action.</summary>
    public static Command Create()
    {
        var models = new Option<string[]>("--model") { Description = "Model folder to serve (repeat for several)", Required = true, AllowMultipleArgumentsPerToken = false };
        var names = new Option<string[]>("--name") { Description = "Id of the model at the same position in /v1/models (default: its folder's name)" };
        var port = new Option<int>("--port") { Description = "TCP port (0: any free port)", DefaultValueFactory = _ => 8080 };
        var host = new Option<string>("--host") { Description = "Address to listen on (0.0.0.0 for every interface)", DefaultValueFactory = _ => "127.0.0.1" };
        var apiKey = new Option<string?>("--api-key") { Description = "Require 'Authorization: Bearer KEY' on every route but /health (default: $SAPLING_API_KEY)" };
        var maxBatch = new Option<int>("--max-batch") { Description = "Sequences decoded together per model", DefaultValueFactory = _ => 32 };
        var queue = new Option<int>("--queue") { Description = "Requests allowed to wait per model before 429", DefaultValueFactory = _ => 256 };
        var maxBody = new Option<long>("--max-body") { Description = "Largest request body in bytes", DefaultValueFactory = _ => 8L << 20 };
        var timeout = new Option<double>("--timeout") { Description = "Seconds a request may run before it is stopped (504)", DefaultValueFactory = _ => 300 };
        var quiet = new Option<bool>("--quiet") { Description = "No per-request JSON log lines" };
        var idle = new Option<double>("--idle-timeout") { Description = "Seconds a kept-alive connection may sit idle before it is closed", DefaultValueFactory = _ => 30 };
        var maxPixels = new Option<long>("--max-image-pixels") { Description = "Largest uploaded image (width × height) decoded for /v1/classify", DefaultValueFactory = _ => 4096L * 4096 };
        var threads = new Option<int>("--threads") { Description = "Threads inside each matrix product (default: all cores; the HTTP side needs some CPU too)", DefaultValueFactory = _ => Environment.ProcessorCount };
        var cmd = new Command("serve", "Serve models over an OpenAI-compatible HTTP API with a web playground")
            { models, names, port, host, apiKey, maxBatch, queue, maxBody, timeout, quiet, idle, maxPixels, threads };
        cmd.SetAction(r =>
        {
            if (r.GetValue(threads) < 1) throw new ArgumentException($"--threads must be ≥ 1, got {r.GetValue(threads)}");
            Sapling.Backends.Cpu.ComputeThreads.Set(r.GetValue(threads));
            var folders = r.GetValue(models)!;
            var ids = r.GetValue(names) ?? [];
            if (ids.Length > folders.Length) throw new ArgumentException($"{ids.Length} --name values for {folders.Length} --model folders");
            var options = new ServeOptions
            {
                Models = folders.Select((f, i) => new ModelSource(f, i < ids.Length ? ids[i] : null)).ToList(),
                Host = r.GetValue(host)!,
                Port = r.GetValue(port),
                ApiKey = r.GetValue(apiKey) ?? (Environment.GetEnvironmentVariable("SAPLING_API_KEY") is { Length: > 0 } fromEnvironment ? fromEnvironment : null),
                MaxBatch = r.GetValue(maxBatch),
                QueueCapacity = r.GetValue(queue),
                MaxBodyBytes = r.GetValue(maxBody),
                RequestTimeout = TimeSpan.FromSeconds(r.GetValue(timeout)),
                LogRequests = !r.GetValue(quiet),
                IdleTimeout = TimeSpan.FromSeconds(r.GetValue(idle)),
                MaxImagePixels = r.GetValue(maxPixels),
            };
            return Run(options);
        });
        return cmd;
    }

    private static int Run(ServeOptions options)
    {
        var server = SaplingServer.StartAsync(options, Console.Out).GetAwaiter().GetResult();
        foreach (var m in server.Catalog.Models) Console.Error.WriteLine($"serving '{m.Id}' ({m.Kind}) from {m.Directory}");
        Console.Error.WriteLine($"listening on {server.Address} (playground at {server.Address}, API under {server.Address}v1); Ctrl+C stops");
        server.WaitForShutdownAsync().GetAwaiter().GetResult();
        server.DisposeAsync().AsTask().GetAwaiter().GetResult();
        Console.Error.WriteLine("stopped");
        return 0;
    }
}
