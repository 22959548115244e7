namespace Sapling.Federated;

/// <summary>What a federated run produced; its summary is also written to the run folder's results.json.</summary>
/// <param name="RunDirectory">The run folder (model/, metrics.jsonl, curves.svg, results.json).</param>
/// <param name="TestAccuracy">The global model's test accuracy after the last round, as a fraction.</param>
/// <param name="CentralizedAccuracy">
/// Test accuracy of the same model trained on all the data with the same epoch budget; null when
/// <c>federated.centralized</c> is off.
/// </param>
/// <param name="Rounds">One record per round, in order.</param>
/// <param name="DeadClients">Clients whose process exited during the run and were dropped, in order of death.</param>
public sealed record FederatedResult(string RunDirectory, double TestAccuracy, double? CentralizedAccuracy, IReadOnlyList<RoundRecord> Rounds, IReadOnlyList<int> DeadClients);
