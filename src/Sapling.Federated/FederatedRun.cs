using System.Diagnostics;
using System.Text.Json;
using Sapling.Models.Classifiers;
using Sapling.Training.Plots;
using Sapling.Training.Classification;

namespace Sapling.Federated;

/// <summary>
/// A federated training run on one machine: the coordinator evaluates and averages, and each client is a separate
/// process (started by <paramref name="launchClient"/>) that talks to it over loopback HTTP, exactly as clients on
/// other machines would. A client that dies or stays silent past the round timeout is dropped from the round and
/// reported; the round completes with the others.
/// </summary>
public sealed class FederatedRun(ClassifierConfig modelConfig, DataOptions dataOptions, TrainingOptions training, FederatedOptions federated, Func<int, Uri, ProcessStartInfo> launchClient, TextWriter log)
{
    /// <summary>
    /// Runs every round and writes the run folder (model/, metrics.jsonl, curves.svg, results.json) in
    /// <paramref name="runDirectory"/>; fails only when every client has died.
    /// </summary>
    public async Task<FederatedResult> RunAsync(string runDirectory)
    {
        federated.Validate();
        Directory.CreateDirectory(runDirectory);
        var data = ClassificationData.Load(dataOptions);
        var config = modelConfig with { InputShape = data.ExampleShape, NumClasses = data.ClassNames.Length };
        var shards = ShardSplit.For(data.Train.Labels, federated);
        log.WriteLine($"{federated.Clients} clients, {federated.Split.ToString().ToLowerInvariant()} split: shard sizes {string.Join(" ", shards.Select(s => s.Length))}; {data.Test.Count} test examples at the coordinator");
        var global = ClassifierFolder.Create(config, new Generator(federated.Seed + 17));
        await using var coordinator = await Coordinator.StartAsync();
        var processes = new Process?[federated.Clients];
        for (int c = 0; c < federated.Clients; c++)
        {
            var start = launchClient(c, coordinator.Address);
            start.RedirectStandardOutput = true;
            start.RedirectStandardError = true;
            var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start client {c}");
            int client = c;
            process.OutputDataReceived += (_, e) => { if (e.Data != null) lock (log) log.WriteLine($"  [client {client}] {e.Data}"); };
            process.ErrorDataReceived += (_, e) => { if (e.Data != null) lock (log) log.WriteLine($"  [client {client}] {e.Data}"); };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            processes[c] = process;
        }
        var alive = Enumerable.Range(0, federated.Clients).ToHashSet();
        var dead = new List<int>();
        var rounds = new List<RoundRecord>();
        var metricsPath = Path.Combine(runDirectory, "metrics.jsonl");
        File.Delete(metricsPath);
        var g = new Generator(federated.Seed + 5);
        try
        {
            for (int round = 1; round <= federated.Rounds; round++)
            {
                foreach (int c in alive.Where(c => processes[c]!.HasExited).ToList()) MarkDead(c, round, processes, alive, dead);
                if (alive.Count == 0) throw new InvalidOperationException($"round {round}: every client has died; see the client lines above");
                var clock = Stopwatch.StartNew();
                var selected = Select(alive, g);
                coordinator.OpenRound(round, global.Module.StateDict(), selected);
                var updates = await coordinator.CollectAsync(TimeSpan.FromSeconds(federated.RoundTimeoutSeconds),
                    missing => missing.All(c => processes[c]!.HasExited));
                var dropped = selected.Except(updates.Select(u => u.Client)).Order().ToArray();
                foreach (int c in dropped.Where(c => processes[c]!.HasExited)) MarkDead(c, round, processes, alive, dead);
                if (dropped.Length > 0) log.WriteLine($"round {round}: no update from client(s) {string.Join(", ", dropped)}; averaging the {updates.Count} that reported");
                if (updates.Count > 0)
                {
                    var averaged = FedAvg.Aggregate(updates.Select(u => ((IReadOnlyDictionary<string, Tensor>)u.Weights, u.Samples)).ToList());
                    global.Module.LoadStateDict(averaged);
                }
                var (testLoss, testAccuracy) = ClassificationTrainer.Evaluate(global.Module, data.Test);
                long samples = updates.Sum(u => u.Samples);
                double clientLoss = samples > 0 ? updates.Sum(u => u.Loss * u.Samples) / samples : double.NaN;
                var record = new RoundRecord(round, selected.Count, updates.Count, dropped, samples, clientLoss, testLoss, testAccuracy, clock.Elapsed.TotalSeconds);
                rounds.Add(record);
                File.AppendAllText(metricsPath, JsonSerializer.Serialize(record, JsonOptions) + "\n");
                log.WriteLine($"round {round,3}/{federated.Rounds}: {updates.Count}/{selected.Count} clients, client loss {clientLoss:F4}, test loss {testLoss:F4}, test accuracy {testAccuracy:P2} ({clock.Elapsed.TotalSeconds:F1} s)");
            }
        }
        finally
        {
            coordinator.Finish();
            foreach (var p in processes)
            {
                if (p == null) continue;
                if (!p.WaitForExit(TimeSpan.FromSeconds(15))) p.Kill(entireProcessTree: true);
                p.Dispose();
            }
        }
        ClassifierFolder.Save(Path.Combine(runDirectory, "model"), global);
        double? centralized = federated.Centralized ? Centralized(config, data) : null;
        var result = new FederatedResult(runDirectory, rounds[^1].TestAccuracy, centralized, rounds, dead);
        WriteOutputs(runDirectory, result);
        return result;
    }

    private List<int> Select(HashSet<int> alive, Generator g)
    {
        var pool = alive.Order().ToList();
        int count = Math.Max(1, (int)Math.Round(federated.ClientFraction * pool.Count));
        for (int i = 0; i < count; i++)
        {
            int j = i + (int)(g.NextDouble() * (pool.Count - i));
            (pool[i], pool[j]) = (pool[j], pool[i]);
        }
        return pool.Take(count).Order().ToList();
    }

    private void MarkDead(int client, int round, Process?[] processes, HashSet<int> alive, List<int> dead)
    {
        if (!alive.Remove(client)) return;
        dead.Add(client);
        log.WriteLine($"client {client} died (exit code {processes[client]!.ExitCode}) by round {round}; it is dropped from this and later rounds");
    }

    /// <summary>The same model, optimiser and number of epochs, trained on everyone's examples in one place.</summary>
    private double Centralized(ClassifierConfig config, ClassificationData data)
    {
        var model = ClassifierFolder.Create(config, new Generator(federated.Seed + 17)).Module;
        for (int round = 1; round <= federated.Rounds; round++)
            LocalTraining.Train(model, data.Train, training, federated.LocalEpochs, federated.Seed * 7919UL + (ulong)round * 101UL, round: round, rounds: federated.Rounds);
        var (_, accuracy) = ClassificationTrainer.Evaluate(model, data.Test);
        log.WriteLine($"centralised training with the same budget ({federated.Rounds * federated.LocalEpochs} epochs on all {data.Train.Count} examples): test accuracy {accuracy:P2}");
        return accuracy;
    }

    private static void WriteOutputs(string runDirectory, FederatedResult result)
    {
        var plot = new LinePlot { Title = "Federated training", XLabel = "round" };
        var panel = plot.AddPanel("test accuracy");
        panel.Add("global model", result.Rounds.Select(r => (double)r.Round), result.Rounds.Select(r => r.TestAccuracy));
        if (result.CentralizedAccuracy is { } c)
            panel.Add("centralised (final)", result.Rounds.Select(r => (double)r.Round), result.Rounds.Select(_ => c));
        plot.Save(Path.Combine(runDirectory, "curves.svg"));
        var summary = new
        {
            test_accuracy = result.TestAccuracy,
            centralized_accuracy = result.CentralizedAccuracy,
            gap_points = result.CentralizedAccuracy is { } ca ? Math.Round(100 * (ca - result.TestAccuracy), 2) : (double?)null,
            rounds = result.Rounds.Count,
            dead_clients = result.DeadClients,
        };
        IO.AtomicFile.WriteAllText(Path.Combine(runDirectory, "results.json"), JsonSerializer.Serialize(summary, new JsonSerializerOptions { WriteIndented = true }));
    }

    private static readonly JsonSerializerOptions JsonOptions = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };
}
