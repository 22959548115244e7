namespace Sapling.Federated;

/// <summary>How clients train and the coordinator combines them (config <c>federated.algorithm</c>).</summary>
public enum FederatedAlgorithm
{
    /// <summary>Local epochs, then the example-weighted mean of the clients' weights.</summary>
    FedAvg,
    /// <summary>FedAvg with the local loss plus μ/2·‖w − w_global‖², which limits client drift.</summary>
    FedProx,
}
