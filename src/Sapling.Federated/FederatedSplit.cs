namespace Sapling.Federated;

/// <summary>How the training examples are dealt to clients (config <c>federated.split</c>).</summary>
public enum FederatedSplit
{
    /// <summary>Stratified shards of equal size: every client sees every class in proportion.</summary>
    Iid,
    /// <summary>Label skew: each class spread over the clients by Dirichlet(alpha) proportions.</summary>
    Dirichlet,
}
