using System.Diagnostics;
using System.Text.Json;
using Sapling.Data;
using Sapling.Models.Classifiers;
using Sapling.Training;
using Sapling.Training.Plots;

namespace Sapling.Federated;

public sealed record FederatedResult(string RunDirectory, double TestAccuracy, double? CentralizedAccuracy, IReadOnlyList<RoundRecord> Rounds, IReadOnlyList<int> DeadClients);
