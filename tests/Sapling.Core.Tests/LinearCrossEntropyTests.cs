using Sapling.Testing;

namespace Sapling.Core.Tests;

/// <summary>The chunked head loss equals Linear then CrossEntropy, in value and in every gradient.</summary>
[Collection("linear cross-entropy thresholds")]
public sealed class LinearCrossEntropyTests : IDisposable
{
    private readonly (long Chunk, long Above) saved = (Tensor.LinearCrossEntropyChunkElements, Tensor.LinearCrossEntropyChunkedAbove);

    public LinearCrossEntropyTests()
    {
        // Chunks of 3 rows for 41 classes, and chunking from the smallest problem on.
        Tensor.LinearCrossEntropyChunkElements = 3 * 41;
        Tensor.LinearCrossEntropyChunkedAbove = 0;
    }

    public void Dispose() => (Tensor.LinearCrossEntropyChunkElements, Tensor.LinearCrossEntropyChunkedAbove) = saved;

    [Theory]
    [InlineData(Reduction.Mean, false)]
    [InlineData(Reduction.Sum, true)]
    public void ValueAndGradientsMatchThePlainOps(Reduction reduction, bool frozenBf16Weight)
    {
        var g = new Generator(8);
        var hidden = Tensor.Randn([10, 12], g).RequiresGrad_();
        var weight = Tensor.Randn([41, 12], g);
        if (frozenBf16Weight) weight = weight.To(DType.BFloat16);
        else weight.RequiresGrad = true;
        var targets = Tensor.FromArray(new long[] { 1, 40, -100, 7, 7, 0, 13, -100, 22, 5 }, 10);
        var h2 = hidden.Detach().Clone().RequiresGrad_();
        var w2 = frozenBf16Weight ? weight.To(DType.Float32) : weight.Detach().Clone().RequiresGrad_();

        var fused = Tensor.LinearCrossEntropy(hidden, weight, targets, reduction);
        var plain = Tensor.CrossEntropy(Tensor.Linear(h2, w2), targets, reduction);
        Assert.Equal(plain.Item(), fused.Item(), 4);
        fused.Backward();
        plain.Backward();
        TensorAssert.Close(h2.Grad!, hidden.Grad!, 1e-4f, 1e-5f, "hidden");
        if (!frozenBf16Weight) TensorAssert.Close(w2.Grad!, weight.Grad!, 1e-4f, 1e-5f, "weight");
    }
}

[CollectionDefinition("linear cross-entropy thresholds", DisableParallelization = true)]
public sealed class LinearCrossEntropyThresholds;
