using Sapling.Models.Gpt;
using Sapling.NN;

namespace Sapling.Inference.Tests;

/// <summary>Independent sequences decoded in one step (continuous batching) give each sequence's own logits.</summary>
public sealed class BatchedDecodeTests
{
    private static GptModel Model() => new(new GptConfig { VocabSize = 23, NPositions = 32, NEmbd = 16, NLayer = 2, NHead = 4 }, new Generator(11));

    [Fact]
    public void EachRowOfABatchedStepEqualsThatSequenceDecodedAlone()
    {
        var model = Model();
        model.Eval();
        int[][] prompts = [[1, 2, 3], [4, 5, 6, 7, 8, 9, 10], [11]];
        var batched = prompts.Select(p => Prefill(model, p)).ToList();
        var alone = prompts.Select(p => Prefill(model, p)).ToList();
        int[] tokens = [12, 13, 14];
        for (int step = 0; step < 3; step++)
        {
            var logits = BatchedDecode.Step(model, tokens, batched).ToArray();
            for (int b = 0; b < prompts.Length; b++)
            {
                var expected = model.Forward(Tensor.FromArray(new long[] { tokens[b] }, 1, 1), alone[b]).ToArray();
                for (int v = 0; v < 23; v++) Assert.Equal(expected[v], logits[b * 23 + v], 5);
                Assert.Equal(alone[b].Length, batched[b].Length);
            }
            tokens = [tokens[0] + 1, tokens[1] + 1, tokens[2] + 1];
        }
    }

    [Fact]
    public void AnInt8ModelDecodesInBatchesLikeAlone()
    {
        var model = Model();
        Sapling.Models.Compression.ModelQuantization.QuantizeAll(model);
        model.Eval();
        using var noGrad = Autograd.NoGrad.Enter();
        var batched = new[] { Prefill(model, [1, 2]), Prefill(model, [3, 4, 5]) };
        var alone = new[] { Prefill(model, [1, 2]), Prefill(model, [3, 4, 5]) };
        var logits = BatchedDecode.Step(model, [6, 7], batched).ToArray();
        for (int b = 0; b < 2; b++)
        {
            var expected = model.Forward(Tensor.FromArray(new long[] { 6 + b }, 1, 1), alone[b]).ToArray();
            for (int v = 0; v < 23; v++) Assert.Equal(expected[v], logits[b * 23 + v], 4);
        }
    }

    [Fact]
    public void PrunedHeadsDecodeWithCachesOfTheirOwnWidth()
    {
        var model = new GptModel(new GptConfig { VocabSize = 23, NPositions = 32, NEmbd = 16, NLayer = 2, NHead = 4, PrunedHeads = new() { ["1"] = [0, 2] } }, new Generator(2));
        model.Eval();
        using var noGrad = Autograd.NoGrad.Enter();
        var full = model.Forward(Tensor.FromArray(new long[] { 1, 2, 3, 4 }, 1, 4)).Select(1, 3).ToArray();
        var cache = Prefill(model, [1, 2, 3]);
        Assert.Equal([4, 2], cache.HeadsPerLayer);
        var stepped = BatchedDecode.Step(model, [4], [cache]).ToArray();
        for (int v = 0; v < 23; v++) Assert.Equal(full[v], stepped[v], 5);
        Assert.Contains("pruned_heads removes all 4 heads", Assert.Throws<InvalidDataException>(() =>
            new GptModel(new GptConfig { VocabSize = 23, NPositions = 32, NEmbd = 16, NLayer = 2, NHead = 4, PrunedHeads = new() { ["0"] = [0, 1, 2, 3] } })).Message);
        Assert.Contains("names layer '5'", Assert.Throws<InvalidDataException>(() =>
            new GptModel(new GptConfig { VocabSize = 23, NPositions = 32, NEmbd = 16, NLayer = 2, NHead = 4, PrunedHeads = new() { ["5"] = [0] } })).Message);
    }

    [Fact]
    public void BadStepsAreRefusedWithTheReason()
    {
        var model = Model();
        var fresh = model.NewCache(1);
        Assert.Contains("prefill its prompt first", Assert.Throws<ArgumentException>(() => BatchedDecode.Step(model, [1], [fresh])).Message);
        Assert.Contains("2 tokens for 1 caches", Assert.Throws<ArgumentException>(() => BatchedDecode.Step(model, [1, 2], [fresh])).Message);
        Assert.Contains("outside the vocabulary", Assert.Throws<ArgumentOutOfRangeException>(() => BatchedDecode.Step(model, [99], [Prefill(model, [1])])).Message);
    }

    private static KvCache Prefill(GptModel model, int[] prompt)
    {
        var cache = model.NewCache(1);
        using (Autograd.NoGrad.Enter()) model.Forward(Tensor.FromArray(prompt.Select(i => (long)i).ToArray(), 1, prompt.Length), cache);
        return cache;
    }
}
