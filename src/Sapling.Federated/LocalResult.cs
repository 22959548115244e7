namespace Sapling.Federated;

/// <summary>What one client reports after a round: how many examples it trained on and how training went.</summary>
public sealed record LocalResult(long Samples, double Loss, double Accuracy)
{
    /// <summary>Local training met a non-finite gradient and stopped before it reached the weights.</summary>
    public bool Diverged { get; init; }
}
