namespace Sapling.NN;

/// <summary>Batch normalisation of [N, C, H, W] inputs.</summary>
public sealed class BatchNorm2d(int numFeatures, float eps = 1e-5f, float momentum = 0.1f, bool affine = true, bool trackRunningStats = true)
    : BatchNorm(numFeatures, eps, momentum, affine, trackRunningStats, expectedRank: 4);
