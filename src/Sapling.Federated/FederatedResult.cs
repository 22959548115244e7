namespace Sapling.Federated;

public sealed record FederatedResult(string RunDirectory, double TestAccuracy, double? CentralizedAccuracy, IReadOnlyList<RoundRecord> Rounds, IReadOnlyList<int> DeadClients);
