namespace Sapling.NN;

/// <summary>Batch normalisation of [N, C] or [N, C, L] inputs.</summary>
public sealed class BatchNorm1d(int numFeatures, float eps = 1e-5f, float momentum = 0.1f, bool affine = true, bool trackRunningStats = true)
    : BatchNorm(numFeatures, eps, momentum, affine, trackRunningStats, expectedRank: 3);
