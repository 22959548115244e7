using Sapling.Autograd;
using Sapling.Inference.Compression;
using Sapling.Models.Classifiers;
using Sapling.Models.Gpt;
using Sapling.NN;

namespace Sapling.Inference.Tests.Compression;

public sealed class PruningTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("sapling-prune-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    private static GptModel TinyGpt() => new(new GptConfig { VocabSize = 30, NPositions = 16, NEmbd = 16, NLayer = 2, NHead = 2, NInner = 40 }, new Generator(3));

    private static Tensor Ids() => Tensor.FromArray(new long[] { 1, 5, 9, 3, 7, 2, 8, 4, 0, 11 }, 2, 5);

    private static void AssertClose(float[] expected, float[] actual, float tolerance = 1e-4f)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++) Assert.True(MathF.Abs(expected[i] - actual[i]) <= tolerance, $"element {i}: {expected[i]} vs {actual[i]}");
    }

    [Theory]
    [InlineData(0.3)]
    [InlineData(0.5)]
    [InlineData(0.7)]
    public void GlobalThresholdGivesTheRequestedSparsity(double sparsity)
    {
        var model = TinyGpt();
        var weights = MagnitudePruning.PrunableWeights(model);
        long total = weights.Sum(w => (long)w.Weight.NumEl);
        var largestPruned = 0f;
        var smallestKept = float.MaxValue;
        var before = weights.Select(w => w.Weight.ToArray()).ToList();
        MagnitudePruning.Prune(model, sparsity);
        Assert.Equal(Math.Floor(sparsity * total) / total, MagnitudePruning.Sparsity(model), 9);
        // One threshold over all layers: every pruned weight is no larger than every kept one.
        for (int l = 0; l < weights.Count; l++)
        {
            var after = weights[l].Weight.ToArray();
            for (int i = 0; i < after.Length; i++)
                if (after[i] == 0f) largestPruned = MathF.Max(largestPruned, MathF.Abs(before[l][i]));
                else smallestKept = MathF.Min(smallestKept, MathF.Abs(before[l][i]));
        }
        Assert.True(largestPruned <= smallestKept);
    }

    [Fact]
    public void ThresholdIsGlobalNotPerLayer()
    {
        // Layer "a" has large weights and "b" small ones: a global threshold takes b's weights first.
        var model = new Sequential(new Linear(10, 10, generator: new Generator(1)), new Linear(10, 10, generator: new Generator(2)));
        var large = ((Linear)model.NamedChildren().First().Child).Weight;
        using (NoGrad.Enter()) large.CopyFrom(Tensor.OnesLike(large));
        MagnitudePruning.Prune(model, 0.5);
        var state = model.StateDict();
        Assert.All(state["1.weight"].ToArray(), v => Assert.Equal(0f, v));
        Assert.DoesNotContain(0f, state["0.weight"].ToArray());
    }

    [Theory]
    [InlineData(1.0)]
    [InlineData(-0.1)]
    [InlineData(double.NaN)]
    public void SparsityOutsideTheRangeIsRefused(double sparsity)
    {
        var e = Assert.Throws<ArgumentException>(() => MagnitudePruning.Prune(TinyGpt(), sparsity));
        Assert.Contains("[0, 1)", e.Message);
    }

    [Fact]
    public void MasksKeepPrunedWeightsAtZero()
    {
        var model = TinyGpt();
        var masks = MagnitudePruning.Prune(model, 0.5);
        using (NoGrad.Enter()) foreach (var (_, w) in MagnitudePruning.PrunableWeights(model)) w.AddInPlace(Tensor.OnesLike(w));
        MagnitudePruning.ApplyMasks(model, masks);
        Assert.Equal(0.5, MagnitudePruning.Sparsity(model), 2);
    }

    [Fact]
    public void HeadPruningEqualsSilencingThoseHeads()
    {
        var model = new GptModel(new GptConfig { VocabSize = 30, NPositions = 16, NEmbd = 16, NLayer = 2, NHead = 4, NInner = 40 }, new Generator(5));
        model.Eval();
        var pruned = StructuredPruning.PruneGptHeads(model, 0.5);
        Assert.Equal([2, 2], Enumerable.Range(0, 2).Select(pruned.Config.HeadsIn));
        Assert.Equal([16, 24], pruned.Blocks[0].Attn.CAttn.Weight.Shape);
        Assert.Equal([8, 16], pruned.Blocks[0].Attn.CProj.Weight.Shape);
        using (NoGrad.Enter())
        {
            // A head reaches the residual stream only through its rows of c_proj: zeroing them silences it exactly.
            for (int layer = 0; layer < 2; layer++)
            {
                var weight = model.Blocks[layer].Attn.CProj.Weight;
                foreach (int head in pruned.Config.PrunedHeads![layer.ToString()])
                    weight.Narrow(0, head * 4, 4).CopyFrom(Tensor.Zeros(4, 16));
            }
            AssertClose(model.Forward(Ids()).ToArray(), pruned.Forward(Ids()).ToArray());

            // Pruning again names heads by their original index.
            var again = StructuredPruning.PruneGptHeads(pruned, 0.5);
            for (int layer = 0; layer < 2; layer++)
            {
                var removed = again.Config.PrunedHeads![layer.ToString()];
                Assert.Equal(3, removed.Length);
                Assert.Subset(removed.ToHashSet(), pruned.Config.PrunedHeads![layer.ToString()].ToHashSet());
                Assert.All(removed, h => Assert.InRange(h, 0, 3));
            }

            // The folder keeps the narrower attention, and config.json says which heads are gone.
            var folder = Directory.CreateTempSubdirectory("sapling-heads-").FullName;
            try
            {
                GptFolder.Save(folder, pruned);
                Assert.Contains("pruned_heads", File.ReadAllText(Path.Combine(folder, "config.json")));
                var loaded = GptFolder.Load(folder);
                AssertClose(pruned.Forward(Ids()).ToArray(), loaded.Forward(Ids()).ToArray(), 1e-6f);
            }
            finally
            {
                Directory.Delete(folder, recursive: true);
            }
        }
    }

    [Fact]
    public void StructuredGptPruningEqualsMaskingThoseUnits()
    {
        var model = TinyGpt();
        model.Eval();
        var pruned = StructuredPruning.PruneGpt(model, 0.5);
        Assert.Equal(20, pruned.Config.Inner);
        Assert.Equal([16, 20], pruned.Blocks[0].Mlp.CFc.Weight.Shape);
        // Zeroing a unit's c_fc column and bias makes it output GELU(0) = 0: the same as removing it.
        using (NoGrad.Enter())
        {
            for (int b = 0; b < model.Blocks.Count; b++)
            {
                var mlp = model.Blocks[b].Mlp;
                var keptColumns = pruned.Blocks[b].Mlp.CFc.Weight.ToArray();
                var full = mlp.CFc.Weight.ToArray();
                var keep = new bool[40];
                for (int u = 0; u < 40; u++)
                    for (int v = 0; v < 20; v++)
                        if (Enumerable.Range(0, 16).All(r => full[r * 40 + u] == keptColumns[r * 20 + v])) keep[u] = true;
                Assert.Equal(20, keep.Count(k => k));
                var mask = Tensor.FromArray(keep.Select(k => k ? 1f : 0f).ToArray(), 40);
                mlp.CFc.Weight.CopyFrom(mlp.CFc.Weight.Mul(mask));
                mlp.CFc.Bias.CopyFrom(mlp.CFc.Bias.Mul(mask));
            }
            AssertClose(model.Forward(Ids()).ToArray(), pruned.Forward(Ids()).ToArray());
        }
    }

    [Fact]
    public void StructuredCnnPruningEqualsMaskingThoseChannels()
    {
        var config = new ClassifierConfig { ModelType = "cnn", InputShape = [1, 8, 8], Channels = [6, 8], HiddenSize = 10, NumClasses = 3 };
        var cnn = ClassifierFolder.Create(config, new Generator(4));
        cnn.Module.Eval();
        var pruned = StructuredPruning.PruneCnn(cnn, 0.5);
        Assert.Equal([3, 4], pruned.Config.Channels);
        Assert.Equal(5, pruned.Config.HiddenSize);
        // Mask the removed filters (weight and bias) of each conv and the removed fc units: ReLU(0) = 0 and max-pooling
        // zeros gives zeros, so the masked model computes what the smaller one does.
        var model = (SmallCnn)cnn.Module;
        var small = (SmallCnn)pruned.Module;
        using (NoGrad.Enter())
        {
            foreach (var (big, little) in model.Features.NamedChildren().Select(c => c.Child).OfType<Conv2d>().Zip(small.Features.NamedChildren().Select(c => c.Child).OfType<Conv2d>()))
                MaskRows(big.Weight, big.Bias!, little.Weight, little.Bias!);
            var fcBig = (Linear)model.Fc.NamedChildren().First(c => c.Child is Linear).Child;
            var fcSmall = (Linear)small.Fc.NamedChildren().First(c => c.Child is Linear).Child;
            MaskByBias(fcBig.Bias!, fcSmall.Bias!, fcBig.Weight);
            var x = Tensor.FromArray(Enumerable.Range(0, 2 * 64).Select(i => MathF.Sin(i)).ToArray(), 2, 1, 8, 8);
            AssertClose(model.Forward(x).ToArray(), small.Forward(x).ToArray());
        }
    }

    private static void MaskRows(Tensor weight, Tensor bias, Tensor keptWeight, Tensor keptBias) => MaskByBias(bias, keptBias, weight);

    /// <summary>Zeroes the units (rows of weight, entries of bias) whose bias is not among the kept ones.</summary>
    private static void MaskByBias(Tensor bias, Tensor keptBias, Tensor weight)
    {
        var kept = keptBias.ToArray().ToHashSet();
        var mask = bias.ToArray().Select(b => kept.Contains(b) ? 1f : 0f).ToArray();
        Assert.Equal(keptBias.NumEl, (int)mask.Sum());
        var shape = new int[weight.Rank];
        Array.Fill(shape, 1);
        shape[0] = mask.Length;
        weight.CopyFrom(weight.Mul(Tensor.FromArray(mask, shape)));
        bias.CopyFrom(bias.Mul(Tensor.FromArray(mask, mask.Length)));
    }

    [Fact]
    public void PrunedFoldersRoundTrip()
    {
        var gpt = StructuredPruning.PruneGpt(TinyGpt(), 0.3);
        GptFolder.Save(Path.Combine(directory, "gpt"), gpt);
        var loaded = GptFolder.Load(Path.Combine(directory, "gpt"));
        Assert.Equal(28, loaded.Config.Inner);
        using (NoGrad.Enter()) Assert.Equal(gpt.Forward(Ids()).ToArray(), loaded.Forward(Ids()).ToArray());

        var sparse = TinyGpt();
        sparse.Eval();
        MagnitudePruning.Prune(sparse, 0.7);
        GptFolder.Save(Path.Combine(directory, "sparse"), sparse);
        Assert.Equal(MagnitudePruning.Sparsity(sparse), MagnitudePruning.Sparsity(GptFolder.Load(Path.Combine(directory, "sparse"))));

        var cnn = StructuredPruning.PruneCnn(ClassifierFolder.Create(new ClassifierConfig { ModelType = "cnn", InputShape = [1, 8, 8], Channels = [6, 8], HiddenSize = 10, NumClasses = 3, BatchNorm = true }, new Generator(4)), 0.5);
        ClassifierFolder.Save(Path.Combine(directory, "cnn"), cnn);
        var cnnLoaded = ClassifierFolder.Load(Path.Combine(directory, "cnn"));
        Assert.Equal([3, 4], cnnLoaded.Config.Channels);
        var x = Tensor.FromArray(Enumerable.Range(0, 64).Select(i => MathF.Cos(i)).ToArray(), 1, 1, 8, 8);
        using (NoGrad.Enter()) Assert.Equal(cnn.Module.Forward(x).ToArray(), cnnLoaded.Module.Forward(x).ToArray());
    }

    [Fact]
    public void StructuredPruningOfAnMlpClassifierIsRefusedClearly()
    {
        var mlp = ClassifierFolder.Create(new ClassifierConfig { ModelType = "mlp", InputShape = [8], HiddenSizes = [4], NumClasses = 2 }, new Generator(1));
        var e = Assert.Throws<NotSupportedException>(() => StructuredPruning.PruneCnn(mlp, 0.5));
        Assert.Contains("mlp", e.Message);
    }
}
