namespace Sapling.Federated;

/// <summary>One round as the coordinator saw it.</summary>
public sealed record RoundRecord(int Round, int Selected, int Reported, int[] Dropped, long Samples, double ClientLoss, double TestLoss, double TestAccuracy, double Seconds);
