using Sapling.Models.Gpt;

namespace Sapling.Models.Tests;

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
