namespace Sapling.Federated;

/// <summary>A client's answer for one round: its weights after local training and how many examples it used.</summary>
public sealed record ClientUpdate(int Client, Dictionary<string, Tensor> Weights, long Samples, double Loss, double Accuracy);
