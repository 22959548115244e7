using Sapling.Models.Classifiers;
using Sapling.Training.Classification;

namespace Sapling.Federated.Tests;

/// <summary>The coordinator and real clients in this process, talking HTTP over loopback.</summary>
public sealed class CoordinatorTests
{
    [Fact]
    public async Task ClientsTrainARoundAndOnlyWeightsComeBack()
    {
        var (model, data) = FedAvgTests.TinyProblem();
        var config = new ClassifierConfig { ModelType = "mlp", InputShape = [4], HiddenSizes = [8], NumClasses = 2 };
        var federated = new FederatedOptions { Clients = 2, Rounds = 1, Seed = 0 };
        var training = new TrainingOptions { BatchSize = 16, Optimizer = OptimizerType.Sgd, LearningRate = 0.1 };
        await using var coordinator = await Coordinator.StartAsync();
        var shards = ShardSplit.Iid(data.Labels, 2, 0);
        var clients = Enumerable.Range(0, 2).Select(c =>
            new FederatedClient(c, coordinator.Address, config, data.Subset(shards[c]), training, federated).RunAsync(TextWriter.Null)).ToList();
        var global = ClassifierFolder.Create(config, new Generator(17)).Module.StateDict();
        coordinator.OpenRound(1, global, [0, 1]);
        var updates = await coordinator.CollectAsync(TimeSpan.FromSeconds(60), _ => false);
        Assert.Equal([0, 1], updates.Select(u => u.Client));
        Assert.Equal([32L, 32L], updates.Select(u => u.Samples));
        Assert.All(updates, u => Assert.Equal(global.Keys.Order(), u.Weights.Keys.Order()));
        Assert.All(updates, u => Assert.InRange(u.Loss, 0, 5));
        coordinator.Finish();
        var exitCodes = await Task.WhenAll(clients);
        Assert.All(exitCodes, code => Assert.Equal(0, code));
    }

    [Fact]
    public async Task ASilentClientIsLeftOutWhenTheRoundTimesOut()
    {
        await using var coordinator = await Coordinator.StartAsync();
        var weights = new Dictionary<string, Tensor> { ["w"] = Tensor.FromArray([1f], 1) };
        coordinator.OpenRound(1, weights, [0, 1]);
        using var http = new HttpClient { BaseAddress = coordinator.Address };
        using (var fetched = await http.GetAsync("round?client=0"))
            Assert.Equal("1", fetched.Headers.GetValues("X-Federated-Round").Single());
        using var update = new ByteArrayContent(WeightsFile.ToBytes(weights));
        update.Headers.Add("X-Samples", "7");
        Assert.True((await http.PostAsync("update?client=0&round=1", update)).IsSuccessStatusCode);
        var updates = await coordinator.CollectAsync(TimeSpan.FromMilliseconds(500), _ => false);
        Assert.Equal(7, Assert.Single(updates).Samples);

        using var garbage = new ByteArrayContent("not weights"u8.ToArray());
        garbage.Headers.Add("X-Samples", "3");
        var refused = await http.PostAsync("update?client=1&round=1", garbage);
        Assert.Equal(400, (int)refused.StatusCode);
        Assert.Contains("update from client 1 for round 1", await refused.Content.ReadAsStringAsync());
        using var stale = new ByteArrayContent(WeightsFile.ToBytes(weights));
        stale.Headers.Add("X-Samples", "3");
        Assert.Equal(409, (int)(await http.PostAsync("update?client=1&round=9", stale)).StatusCode);
    }

    [Fact]
    public async Task AnUpdateHoldingNaNIsRefusedAndNotAveraged()
    {
        await using var coordinator = await Coordinator.StartAsync();
        var weights = new Dictionary<string, Tensor> { ["w"] = Tensor.FromArray([1f, 2f], 2) };
        coordinator.OpenRound(1, weights, [0]);
        using var http = new HttpClient { BaseAddress = coordinator.Address };
        using var poisoned = new ByteArrayContent(WeightsFile.ToBytes(new Dictionary<string, Tensor> { ["w"] = Tensor.FromArray([1f, float.NaN], 2) }));
        poisoned.Headers.Add("X-Samples", "5");
        var refused = await http.PostAsync("update?client=0&round=1", poisoned);
        Assert.Equal(400, (int)refused.StatusCode);
        Assert.Contains("'w' holds NaN", await refused.Content.ReadAsStringAsync());
        Assert.Empty(await coordinator.CollectAsync(TimeSpan.FromMilliseconds(300), _ => false));
    }
}
