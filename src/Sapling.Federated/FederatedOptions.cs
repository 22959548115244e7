
namespace Sapling.Federated;

/// <summary>The federated: section of a config: who trains, how the data is split, and how updates are combined.</summary>
public sealed record FederatedOptions
{
    /// <summary>Config key <c>federated.clients</c>: number of clients, each its own process (default 10).</summary>
    public int Clients { get; init; } = 10;
    /// <summary>Config key <c>federated.rounds</c>: rounds of training and averaging (default 20).</summary>
    public int Rounds { get; init; } = 20;
    /// <summary>Config key <c>federated.local_epochs</c>: epochs a client trains per round (default 1).</summary>
    public int LocalEpochs { get; init; } = 1;

    /// <summary>"iid" (stratified equal shards) or "dirichlet" (label skew: each class spread over clients by Dir(α)).</summary>
    public FederatedSplit Split { get; init; } = FederatedSplit.Iid;

    /// <summary>Concentration of the Dirichlet split: small values give each client few classes.</summary>
    public double Alpha { get; init; } = 0.5;

    /// <summary>"fedavg", or "fedprox" (local loss + μ/2·‖w − w_global‖²).</summary>
    public FederatedAlgorithm Algorithm { get; init; } = FederatedAlgorithm.FedAvg;

    /// <summary>
    /// Config key <c>federated.mu</c>: FedProx's proximal weight μ, pulling local weights towards the round's global
    /// weights (default 0.01; unused by FedAvg).
    /// </summary>
    public double Mu { get; init; } = 0.01;

    /// <summary>Share of the live clients asked to train in each round.</summary>
    public double ClientFraction { get; init; } = 1.0;

    /// <summary>Seconds the coordinator waits for a round's updates before going on without the missing clients.</summary>
    public double RoundTimeoutSeconds { get; init; } = 120;

    /// <summary>Also train one model on all the data with the same budget, to report the federated gap.</summary>
    public bool Centralized { get; init; } = true;

    /// <summary>
    /// Config key <c>federated.seed</c>: seed for the initial model, the data split, client selection and local
    /// shuffling (default 0).
    /// </summary>
    public ulong Seed { get; init; }

    /// <summary>Fault drill: this client exits abruptly at the start of <see cref="FailRound"/> (a dead client is dropped and reported).</summary>
    public int? FailClient { get; init; }

    /// <summary>
    /// Config key <c>federated.fail_round</c>: the round in which <see cref="FailClient"/> exits (default 1).
    /// </summary>
    public int FailRound { get; init; } = 1;

    /// <summary>Refuses settings no federated run can use; messages name each option through <see cref="OptionNames"/>.</summary>
    public void Validate()
    {
        static string N(string option) => OptionNames.Of(option);
        Training.Guards.FiniteOptions.Check(this);
        if (Clients < 1) throw new ArgumentOutOfRangeException(nameof(Clients), $"{N(nameof(Clients))} must be ≥ 1, got {Clients}");
        if (Rounds < 1) throw new ArgumentOutOfRangeException(nameof(Rounds), $"{N(nameof(Rounds))} must be ≥ 1, got {Rounds}");
        if (LocalEpochs < 1) throw new ArgumentOutOfRangeException(nameof(LocalEpochs), $"{N(nameof(LocalEpochs))} must be ≥ 1, got {LocalEpochs}");
        if (!Enum.IsDefined(Split)) throw new ArgumentException($"{N(nameof(Split))}: {(int)Split} is not a split");
        if (Alpha <= 0) throw new ArgumentOutOfRangeException(nameof(Alpha), $"{N(nameof(Alpha))} must be positive, got {Alpha}");
        if (!Enum.IsDefined(Algorithm)) throw new ArgumentException($"{N(nameof(Algorithm))}: {(int)Algorithm} is not an algorithm");
        if (Mu < 0) throw new ArgumentOutOfRangeException(nameof(Mu), $"{N(nameof(Mu))} must be ≥ 0, got {Mu}");
        if (ClientFraction is <= 0 or > 1) throw new ArgumentOutOfRangeException(nameof(ClientFraction), $"{N(nameof(ClientFraction))} must be in (0, 1], got {ClientFraction}");
        if (RoundTimeoutSeconds <= 0) throw new ArgumentOutOfRangeException(nameof(RoundTimeoutSeconds), $"{N(nameof(RoundTimeoutSeconds))} must be positive");
        if (FailClient is { } f && (f < 0 || f >= Clients)) throw new ArgumentOutOfRangeException(nameof(FailClient), $"{N(nameof(FailClient))} must name a client 0..{Clients - 1}, got {f}");
    }
}
