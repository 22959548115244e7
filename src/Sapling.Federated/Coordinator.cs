using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Sapling.Federated;

/// <summary>
/// The coordinator's HTTP side. Clients long-poll <c>GET /round?client=i</c> for the global weights of a round they
/// are selected for, and answer with <c>POST /update?client=i&amp;round=r</c>; both bodies are safetensors weights and
/// the only other things exchanged are the round number and the client's example count and training loss. No
/// example ever crosses this interface.
/// </summary>
public sealed class Coordinator : IAsyncDisposable
{
    private readonly WebApplication app;
    private readonly object gate = new();
    private TaskCompletionSource roundOpened = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int round;
    private byte[] globalBytes = [];
    private HashSet<int> selected = new();
    private readonly Dictionary<int, ClientUpdate> received = new();
    private TaskCompletionSource allReceived = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool done;

    private Coordinator(WebApplication app) => this.app = app;

    /// <summary>The address the server actually listens on, for clients to connect to.</summary>
    public Uri Address => new(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());

    /// <summary>
    /// Starts the coordinator's HTTP server on <paramref name="host"/> (an IP address, loopback by default) and
    /// <paramref name="port"/> (0 picks a free one; see <see cref="Address"/>).
    /// </summary>
    public static async Task<Coordinator> StartAsync(string host = "127.0.0.1", int port = 0)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Limits.MaxRequestBodySize = 1L << 30;
            k.Listen(IPAddress.Parse(host), port);
        });
        var app = builder.Build();
        var coordinator = new Coordinator(app);
        app.MapGet("/round", coordinator.GetRound);
        app.MapPost("/update", coordinator.PostUpdate);
        await app.StartAsync();
        return coordinator;
    }

    /// <summary>Opens a round for <paramref name="clients"/> with these global weights; returns when they may fetch them.</summary>
    public void OpenRound(int number, IReadOnlyDictionary<string, Tensor> global, IReadOnlyCollection<int> clients)
    {
        var bytes = WeightsFile.ToBytes(global);
        lock (gate)
        {
            round = number;
            globalBytes = bytes;
            selected = clients.ToHashSet();
            received.Clear();
            allReceived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var opened = roundOpened;
            roundOpened = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            opened.TrySetResult();
        }
    }

    /// <summary>
    /// Waits until every selected client has answered, or <paramref name="timeout"/> passes, or
    /// <paramref name="allGone"/> says the missing ones cannot answer any more; returns the updates that arrived.
    /// </summary>
    public async Task<IReadOnlyList<ClientUpdate>> CollectAsync(TimeSpan timeout, Func<IReadOnlyCollection<int>, bool> allGone)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            Task complete;
            List<int> missing;
            lock (gate)
            {
                complete = allReceived.Task;
                missing = selected.Except(received.Keys).ToList();
            }
            if (missing.Count == 0 || allGone(missing)) break;
            await Task.WhenAny(complete, Task.Delay(200));
        }
        lock (gate) return received.Values.OrderBy(u => u.Client).ToList();
    }

    /// <summary>Tells every waiting and future client that training is over.</summary>
    public void Finish()
    {
        lock (gate)
        {
            done = true;
            roundOpened.TrySetResult();
        }
    }

    private async Task GetRound(HttpContext context)
    {
        if (!int.TryParse(context.Request.Query["client"], out int client))
        {
            context.Response.StatusCode = 400;
            await context.Response.WriteAsync("query parameter 'client' (an integer) is required");
            return;
        }
        int after = int.TryParse(context.Request.Query["after"], out int a) ? a : 0;
        var limit = DateTime.UtcNow.AddSeconds(25);
        byte[] toSend;
        int sendRound;
        while (true)
        {
            Task next;
            lock (gate)
            {
                if (done)
                {
                    context.Response.StatusCode = 204;
                    context.Response.Headers["X-Federated-Done"] = "1";
                    return;
                }
                if (round > after && selected.Contains(client) && !received.ContainsKey(client))
                {
                    toSend = globalBytes;
                    sendRound = round;
                    break;
                }
                next = roundOpened.Task;
            }
            var remaining = limit - DateTime.UtcNow;
            if (remaining <= TimeSpan.Zero)
            {
                // Nothing for this client yet: it asks again (long polling keeps connections short-lived).
                context.Response.StatusCode = 202;
                return;
            }
            await Task.WhenAny(next, Task.Delay(remaining, context.RequestAborted));
            if (context.RequestAborted.IsCancellationRequested) return;
        }
        context.Response.StatusCode = 200;
        context.Response.Headers["X-Federated-Round"] = sendRound.ToString(System.Globalization.CultureInfo.InvariantCulture);
        context.Response.ContentType = "application/octet-stream";
        context.Response.ContentLength = toSend.Length;
        await context.Response.Body.WriteAsync(toSend, context.RequestAborted);
    }

    private async Task PostUpdate(HttpContext context)
    {
        var query = context.Request.Query;
        var headers = context.Request.Headers;
        if (!int.TryParse(query["client"], out int client) || !int.TryParse(query["round"], out int number) || !long.TryParse(headers["X-Samples"], out long samples) || samples < 0)
        {
            context.Response.StatusCode = 400;
            await context.Response.WriteAsync("an update needs ?client=I&round=R and an X-Samples header (a count ≥ 0)");
            return;
        }
        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body, context.RequestAborted);
        Dictionary<string, Tensor> weights;
        try
        {
            weights = WeightsFile.FromBytes(body.ToArray(), $"update from client {client} for round {number}");
        }
        catch (InvalidDataException e)
        {
            context.Response.StatusCode = 400;
            await context.Response.WriteAsync(e.Message);
            return;
        }
        // One diverged client must not turn the global model into NaN through the average.
        if (weights.FirstOrDefault(w => !w.Value.AllFinite()) is { Key: { } bad })
        {
            context.Response.StatusCode = 400;
            await context.Response.WriteAsync($"update from client {client} for round {number}: tensor '{bad}' holds NaN or infinite values (its local training diverged); not averaged");
            return;
        }
        double Header(string name) => double.TryParse(headers[name], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double v) ? v : double.NaN;
        lock (gate)
        {
            if (number != round || !selected.Contains(client))
            {
                context.Response.StatusCode = 409;
                return;
            }
            received[client] = new ClientUpdate(client, weights, samples, Header("X-Loss"), Header("X-Accuracy"));
            if (selected.All(received.ContainsKey)) allReceived.TrySetResult();
        }
        context.Response.StatusCode = 200;
    }

    /// <summary>Finishes training for all clients and stops the HTTP server.</summary>
    public async ValueTask DisposeAsync()
    {
        Finish();
        await app.StopAsync();
        await app.DisposeAsync();
    }
}
