using Sapling.Models.Gpt;
using Sapling.NN;

namespace Sapling.Models.Tests;

public sealed class GptBatchedDecodeTests
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
            var logits = model.DecodeStep(tokens, batched).ToArray();
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
        var logits = model.DecodeStep([6, 7], batched).ToArray();
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
        var stepped = model.DecodeStep([4], [cache]).ToArray();
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
        Assert.Contains("prefill its prompt first", Assert.Throws<ArgumentException>(() => model.DecodeStep([1], [fresh])).Message);
        Assert.Contains("2 tokens for 1 caches", Assert.Throws<ArgumentException>(() => model.DecodeStep([1, 2], [fresh])).Message);
        Assert.Contains("outside the vocabulary", Assert.Throws<ArgumentOutOfRangeException>(() => model.DecodeStep([99], [Prefill(model, [1])])).Message);
    }

    private static KvCache Prefill(GptModel model, int[] prompt)
    {
        var cache = model.NewCache(1);
        using (Autograd.NoGrad.Enter()) model.Forward(Tensor.FromArray(prompt.Select(i => (long)i).ToArray(), 1, prompt.Length), cache);
        return cache;
    }
}

/// <summary>
/// What a decode step costs in memory must not grow with the tokens already generated: attention reads the KV cache
/// in place, and buffers come back from the pool, so step 400 allocates what step 40 allocates.
/// </summary>
[Collection("process-wide tensor pool")]
public sealed class GptDecodeMemoryTests
{
    [Fact]
    public void DecodeStepAllocationsDoNotGrowWithTheCachedLength()
    {
        var model = new GptModel(new GptConfig { VocabSize = 50, NPositions = 512, NEmbd = 64, NLayer = 2, NHead = 4 }, new Generator(3));
        model.Eval();
        using var noGrad = Autograd.NoGrad.Enter();
        var cache = model.NewCache(1);
        long Step(int token)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            using (new TensorScope()) model.Forward(Tensor.FromArray(new long[] { token }, 1, 1), cache);
            return GC.GetAllocatedBytesForCurrentThread() - before;
        }
        for (int i = 0; i < 40; i++) Step(i % 50);
        long early = 0;
        for (int i = 0; i < 10; i++) early += Step(i);
        long pooledEarly = Memory.TensorMemory.Pool<long>().PooledBytes + Memory.TensorMemory.Pool<float>().PooledBytes;
        while (cache.Length < 400) Step(cache.Length % 50);
        long pooledLate = Memory.TensorMemory.Pool<long>().PooledBytes + Memory.TensorMemory.Pool<float>().PooledBytes;
        // Nothing sized by the cached length may pile up in the pool (position ids used to be an arange of it).
        Assert.True(pooledLate - pooledEarly < 16 * 1024, $"the pool grew by {pooledLate - pooledEarly:N0} bytes between 50 and 400 cached positions");
        long late = 0;
        for (int i = 0; i < 10; i++) late += Step(i);
        // Copying the cached keys and values would add 2 layers × 2 × 400 × 64 floats (≈ 400 KB) to every step.
        Assert.True(late < early + 40_000, $"10 decode steps allocated {early} bytes at 40 cached positions but {late} at 400");
    }
}

/// <summary>Loading a GPT folder holds its weights once: no dictionary of loaded tensors beside the model's own.</summary>
public sealed class GptFolderLoadMemoryTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("sapling-load-").FullName;

    public void Dispose() => Directory.Delete(dir, true);

    [Fact]
    public void LoadingAllocatesTheWeightsOnceAndReadsThemExactly()
    {
        var original = new GptModel(new GptConfig { VocabSize = 2000, NPositions = 64, NEmbd = 64, NLayer = 2, NHead = 4 }, new Generator(5));
        GptFolder.Save(dir, original);
        long weightBytes = original.ParameterCount() * sizeof(float);
        Memory.TensorMemory.TrimPools();
        long before = GC.GetAllocatedBytesForCurrentThread();
        var loaded = GptFolder.Load(dir);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        // The model's own parameters, plus bookkeeping; a second full copy would be 2×.
        Assert.True(allocated < weightBytes * 1.3, $"loading allocated {allocated:N0} bytes for {weightBytes:N0} bytes of weights");
        foreach (var (name, p) in original.StateDict()) Assert.Equal(p.ToArray(), loaded.StateDict()[name].ToArray());
    }

    [Fact]
    public void Bf16WeightsLoadAsTheirFloat32Values()
    {
        var original = new GptModel(new GptConfig { VocabSize = 50, NPositions = 16, NEmbd = 16, NLayer = 1, NHead = 2 }, new Generator(6));
        GptFolder.Save(dir, original);
        var path = Path.Combine(dir, "model.safetensors");
        var bf16 = IO.SafeTensors.LoadAll(path).ToDictionary(e => e.Key, e => e.Value.To(DType.BFloat16));
        IO.SafeTensors.Save(path, bf16);
        var loaded = GptFolder.Load(dir);
        foreach (var (name, p) in loaded.StateDict()) Assert.Equal(bf16[name].To(DType.Float32).ToArray(), p.ToArray());
    }
}

/// <summary>Tests that read the process-wide tensor pool's totals run alone, so other tests' buffers do not move them.</summary>
[CollectionDefinition("process-wide tensor pool", DisableParallelization = true)]
public sealed class ProcessWidePoolCollection;
