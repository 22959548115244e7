using System.Text.Json;

namespace Sapling.Cli.Tests;

[Collection("cli")]
public sealed class FederatedCommandTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("sapling-cli-fed-").FullName;

    public void Dispose() => Directory.Delete(root, recursive: true);

    [Fact]
    public void ClientProcessesTrainTogetherAndADeadClientIsDropped()
    {
        var output = Path.Combine(root, "run");
        var (code, stdout, error) = CliRunner.Run("federated", Path.Combine(AppContext.BaseDirectory, "configs", "digits-federated.yaml"), "--out", output,
            "--set", "federated.clients=3", "--set", "federated.rounds=2", "--set", "federated.local_epochs=1", "--set", "federated.centralized=false",
            "--set", "federated.fail_client=1", "--set", "federated.fail_round=2", "--set", "model.channels=[8]", "--set", "model.hidden_size=16");
        Assert.True(code == 0, error + stdout);
        Assert.Contains("client 1 died", stdout);
        Assert.Contains("round   2/2: 2/3 clients", stdout);
        var rounds = File.ReadAllLines(Path.Combine(output, "metrics.jsonl")).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(2, rounds.Count);
        Assert.Equal(3, rounds[0].GetProperty("reported").GetInt32());
        Assert.Equal([1], rounds[1].GetProperty("dropped").EnumerateArray().Select(d => d.GetInt32()));
        Assert.True(rounds[1].GetProperty("test_accuracy").GetDouble() > 0.3);
        using var results = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "results.json")));
        Assert.Equal([1], results.RootElement.GetProperty("dead_clients").EnumerateArray().Select(d => d.GetInt32()));
        Assert.True(File.Exists(Path.Combine(output, "curves.svg")));
        Assert.True(File.Exists(Path.Combine(output, "model", "model.safetensors")));
    }

    [Fact]
    public void BadFederatedSettingsAreClearErrors()
    {
        var config = Path.Combine(AppContext.BaseDirectory, "configs", "digits-federated.yaml");
        var (code, _, error) = CliRunner.Run("federated", config, "--out", Path.Combine(root, "x"), "--set", "federated.split=random");
        Assert.Equal(2, code);
        Assert.Contains("'federated.split' should be one of iid, dirichlet, got 'random'", error);
        (code, _, error) = CliRunner.Run("federated", config, "--out", Path.Combine(root, "x"), "--set", "federated.clients=0");
        Assert.Equal(2, code);
        Assert.Contains("federated.clients must be ≥ 1", error);
    }
}
