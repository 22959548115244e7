using Sapling.Memory;

namespace Sapling.Core.Tests;

public class MemoryTests
{
    [Fact]
    public void ScopeReturnsBuffersToThePoolAndReusesThem()
    {
        TensorMemory.TrimPools();
        const int size = 123_457;
        float[] first;
        using (new TensorScope())
        {
            var t = Tensor.Zeros(size);
            first = t.FloatArray;
        }
        Assert.True(TensorMemory.Pool<float>().PooledBytes >= size * 4);
        using (new TensorScope())
        {
            var t = Tensor.Ones(size);
            Assert.Same(first, t.FloatArray);
        }
    }

    [Fact]
    public void ViewKeepsStorageAliveAfterBaseIsDisposed()
    {
        var x = Tensor.Arange(0, 4);
        var v = x.Reshape(2, 2);
        x.Dispose();
        Assert.Equal(new float[] { 0, 1, 2, 3 }, v.ToArray());
    }

    [Fact]
    public void KeepAliveSurvivesScope()
    {
        Tensor kept;
        using (new TensorScope()) kept = (Tensor.Ones(3) * 2f).KeepAlive();
        Assert.Equal(new float[] { 2, 2, 2 }, kept.ToArray());
    }

    [Fact]
    public void TrainingStepInScopeAllocatesNoNewLargeBuffersAfterWarmUp()
    {
        var w = (Tensor.Randn([256, 256], new Generator(1)) * 0.05f).RequiresGrad_();
        var x = Tensor.Randn([64, 256], new Generator(2));
        var targets = Tensor.RandInt(0, 256, [64], new Generator(3));
        void Step()
        {
            using var scope = new TensorScope();
            var loss = Tensor.CrossEntropy(x.MatMul(w).Gelu().MatMul(w), targets);
            loss.Backward();
            using (Autograd.NoGrad.Enter()) w.AddInPlace(w.Grad!, -0.01f);
            w.ZeroGrad();
        }
        for (int i = 0; i < 3; i++) Step();
        long before = GC.GetAllocatedBytesForCurrentThread();
        Step();
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        // Small bookkeeping objects are fine; a float buffer of this step would be 64 KiB or more.
        Assert.True(allocated < 64 * 1024, $"a warm step allocated {allocated} bytes");
    }
}

public class ArrayPoolEvictionTests
{
    [Fact]
    public void AFullPoolDropsTheLengthsUsedLongestAgo()
    {
        var pool = new Memory.ArrayPoolByLength<float>(maxPooledBytes: 100 * sizeof(float));
        var a = pool.Rent(40);
        var b = pool.Rent(30);
        pool.Return(a);                     // 40 pooled
        pool.Return(b);                     // 70 pooled
        var again = pool.Rent(30);          // 30 is now the most recently used length
        Assert.Same(b, again);
        pool.Return(again);
        pool.Return(new float[50]);         // 120 > 100: the 40s (used longest ago) go
        Assert.Equal(80 * sizeof(float), pool.PooledBytes);
        Assert.NotSame(a, pool.Rent(40));
        Assert.Same(b, pool.Rent(30));
        pool.Return(new float[200]);        // larger than the whole pool: never kept
        Assert.Equal(50 * sizeof(float), pool.PooledBytes);
    }
}
