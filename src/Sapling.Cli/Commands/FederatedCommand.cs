using System.CommandLine;
using System.Diagnostics;
using Sapling.Backends.Cpu;
using Sapling.Cli.Config;
using Sapling.Federated;
using Sapling.Training.Classification;

namespace Sapling.Cli.Commands;

/// <summary>
/// <c>sapling federated CONFIG</c> runs the coordinator and starts each client as its own process on this machine;
/// <c>sapling federated client --coordinator URL --client I --config CONFIG</c> is one client, which could as well run
/// on another machine with its own data (<c>--shard all</c>).
/// </summary>
public static class FederatedCommand
{
    /// <summary>Builds the <c>sapling federated</c> command and its <c>client</c> subcommand.</summary>
    public static Command Create()
    {
        var config = new Argument<string>("config") { Description = "YAML config with data:, model:, train: and federated: sections (see configs/digits-federated.yaml)" };
        var output = new Option<string?>("--out") { Description = "Run folder (default: runs/<config name>)" };
        var set = new Option<string[]>("--set") { Description = "Override a setting, e.g. --set federated.split=dirichlet (repeatable)", AllowMultipleArgumentsPerToken = false };
        var cmd = new Command("federated", "Federated training: a coordinator averages the weights of clients that train on their own data (FedAvg, FedProx)") { config, output, set };
        cmd.SetAction(r => Run(r.GetValue(config)!, r.GetValue(output), r.GetValue(set) ?? []));
        cmd.Subcommands.Add(Client());
        return cmd;
    }

    private static (FederatedOptions, Sapling.Models.Classifiers.ClassifierConfig, DataOptions, TrainingOptions, ConfigTree) Bind(string configPath, IEnumerable<string> overrides)
    {
        var tree = ConfigTree.Load(configPath, overrides);
        // A key the config leaves out takes the record's own default.
        var defaults = new FederatedOptions();
        var federated = new FederatedOptions
        {
            Clients = tree.Get("federated.clients", defaults.Clients),
            Rounds = tree.Get("federated.rounds", defaults.Rounds),
            LocalEpochs = tree.Get("federated.local_epochs", defaults.LocalEpochs),
            Split = tree.Get("federated.split", defaults.Split),
            Alpha = tree.Get("federated.alpha", defaults.Alpha),
            Algorithm = tree.Get("federated.algorithm", defaults.Algorithm),
            Mu = tree.Get("federated.mu", defaults.Mu),
            ClientFraction = tree.Get("federated.client_fraction", defaults.ClientFraction),
            RoundTimeoutSeconds = tree.Get("federated.round_timeout", defaults.RoundTimeoutSeconds),
            Centralized = tree.Get("federated.centralized", defaults.Centralized),
            Seed = tree.Get("federated.seed", defaults.Seed),
            FailClient = tree.Get("federated.fail_client", defaults.FailClient),
            FailRound = tree.Get("federated.fail_round", defaults.FailRound),
        };
        var (data, model, train) = ClassificationConfig.Bind(tree);
        using (OptionNames.Use(tree.OptionName)) federated.Validate();
        return (federated, model, data, train, tree);
    }

    private static int Run(string configPath, string? output, string[] overrides)
    {
        var (federated, model, data, train, tree) = Bind(configPath, overrides);
        using var names = OptionNames.Use(tree.OptionName);
        string runDirectory = output ?? Path.Combine("runs", Path.GetFileNameWithoutExtension(configPath));
        Directory.CreateDirectory(runDirectory);
        var resolved = Path.GetFullPath(Path.Combine(runDirectory, "config.yaml"));
        File.WriteAllText(resolved, tree.ToYaml());
        var run = new FederatedRun(model, data, train, federated, (client, coordinator) => ClientProcess(resolved, client, coordinator), Console.Out);
        var result = run.RunAsync(runDirectory).GetAwaiter().GetResult();
        Console.WriteLine($"run folder: {result.RunDirectory}");
        Console.WriteLine($"federated test accuracy {result.TestAccuracy:P2}" + (result.CentralizedAccuracy is { } c ? $"; centralised {c:P2} (gap {100 * (c - result.TestAccuracy):F2} points)" : "") +
            (result.DeadClients.Count > 0 ? $"; clients lost: {string.Join(", ", result.DeadClients)}" : ""));
        return 0;
    }

    /// <summary>This same program, started again as client <paramref name="client"/>, one thread each.</summary>
    private static ProcessStartInfo ClientProcess(string config, int client, Uri coordinator)
    {
        var self = Environment.ProcessPath ?? "dotnet";
        var arguments = new List<string>();
        if (Path.GetFileNameWithoutExtension(self) == "dotnet") arguments.Add(typeof(FederatedCommand).Assembly.Location);
        arguments.AddRange(["federated", "client", "--coordinator", coordinator.ToString(), "--client", client.ToString(), "--config", config, "--threads", "1"]);
        var start = new ProcessStartInfo(self, arguments);
        start.Environment["OPENBLAS_NUM_THREADS"] = "1";
        return start;
    }

    private static Command Client()
    {
        var coordinator = new Option<string>("--coordinator") { Description = "The coordinator's URL", Required = true };
        var client = new Option<int>("--client") { Description = "This client's number (0-based)", Required = true };
        var config = new Option<string>("--config") { Description = "The run's config (data, model, train and federated sections)", Required = true };
        var shard = new Option<string>("--shard") { Description = "'simulated': this client's part of the split the config describes; 'all': every example of data.path (a real client with its own data)", DefaultValueFactory = _ => "simulated" };
        var threads = new Option<int>("--threads") { Description = "Compute threads for this client", DefaultValueFactory = _ => Environment.ProcessorCount };
        var cmd = new Command("client", "One federated client: fetch the global weights, train on local data, send back only the weights") { coordinator, client, config, shard, threads };
        cmd.SetAction(r =>
        {
            var (federated, model, data, train, tree) = Bind(r.GetValue(config)!, []);
            using var names = OptionNames.Use(tree.OptionName);
            int id = r.GetValue(client);
            if (id < 0 || id >= federated.Clients) throw new ArgumentException($"--client must be 0..{federated.Clients - 1}, got {id}");
            ComputeThreads.Set(Math.Max(1, r.GetValue(threads)));
            var local = ClassificationData.Load(data);
            var examples = r.GetValue(shard) switch
            {
                "all" => local.Train,
                "simulated" => local.Train.Subset(ShardSplit.For(local.Train.Labels, federated)[id]),
                var other => throw new ArgumentException($"--shard must be simulated or all, got '{other}'"),
            };
            var shape = model with { InputShape = local.ExampleShape, NumClasses = local.ClassNames.Length };
            return new FederatedClient(id, new Uri(r.GetValue(coordinator)!), shape, examples, train, federated).RunAsync(Console.Out).GetAwaiter().GetResult();
        });
        return cmd;
    }
}
