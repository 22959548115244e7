using System.Globalization;
using Sapling.Data;
using Sapling.Models.Classifiers;
using Sapling.Training.Classification;

namespace Sapling.Federated;

/// <summary>
/// One client: it holds its own examples and never sends them. Each round it fetches the global weights, trains on
/// its examples for a few local epochs, and sends back only the new weights and how many examples it used.
/// </summary>
public sealed class FederatedClient(int id, Uri coordinator, ClassifierConfig modelConfig, TensorDataset examples, TrainingOptions training, FederatedOptions federated)
{
    /// <summary>
    /// Takes part in rounds until the coordinator says training is over or <paramref name="cancel"/> fires, writing
    /// progress to <paramref name="log"/>; returns the exit code (0). The fault drill exits the process instead.
    /// </summary>
    public async Task<int> RunAsync(TextWriter log, CancellationToken cancel = default)
    {
        var model = ClassifierFolder.Create(modelConfig, new Generator(federated.Seed + 17)).Module;
        using var http = new HttpClient { BaseAddress = coordinator, Timeout = TimeSpan.FromMinutes(10) };
        int rounds = 0, lastRound = 0;
        while (!cancel.IsCancellationRequested)
        {
            using var response = await http.GetAsync($"round?client={id}&after={lastRound}", cancel);
            if (response.StatusCode == System.Net.HttpStatusCode.NoContent) break;
            if (response.StatusCode == System.Net.HttpStatusCode.Accepted) continue;
            response.EnsureSuccessStatusCode();
            int round = int.Parse(response.Headers.GetValues("X-Federated-Round").First(), CultureInfo.InvariantCulture);
            if (federated.FailClient == id && round == federated.FailRound)
            {
                // The fault drill: vanish mid-round without a word, as a crashed machine would.
                log.WriteLine($"client {id}: failing on purpose in round {round}");
                log.Flush();
                Environment.Exit(3);
            }
            var global = WeightsFile.FromBytes(await response.Content.ReadAsByteArrayAsync(cancel), $"global weights of round {round}");
            model.LoadStateDict(global);
            // The proximal centre is read back from the model, so it has the parameters' dtype whatever the file held.
            var center = federated.Algorithm == FederatedAlgorithm.FedProx ? model.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.Detach().Clone()) : null;
            var result = LocalTraining.Train(model, examples, training, federated.LocalEpochs, federated.Seed * 7919UL + (ulong)round * 101UL + (ulong)id, center, federated.Mu, round, federated.Rounds);
            if (result.Diverged) log.WriteLine($"client {id}: local training diverged in round {round} (a non-finite gradient); sending the last finite weights");
            using var update = new ByteArrayContent(WeightsFile.ToBytes(model.StateDict()));
            update.Headers.Add("X-Samples", result.Samples.ToString(CultureInfo.InvariantCulture));
            update.Headers.Add("X-Loss", result.Loss.ToString("R", CultureInfo.InvariantCulture));
            update.Headers.Add("X-Accuracy", result.Accuracy.ToString("R", CultureInfo.InvariantCulture));
            using var posted = await http.PostAsync($"update?client={id}&round={round}", update, cancel);
            if (posted.StatusCode != System.Net.HttpStatusCode.Conflict) posted.EnsureSuccessStatusCode();
            lastRound = round;
            rounds++;
        }
        log.WriteLine($"client {id}: done after {rounds} rounds on {examples.Count} local examples");
        return 0;
    }
}
