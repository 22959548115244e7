using Sapling.Memory;

namespace Sapling.Core.Tests.Memory;

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
        var pool = new ArrayPoolBySizeClass<float>(maxPooledBytes: 100 * sizeof(float));
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

public class ArrayPoolSizeClassTests
{
    [Theory]
    [InlineData(1, 1)]
    [InlineData(16, 16)]
    [InlineData(17, 18)]
    [InlineData(32, 32)]
    [InlineData(33, 36)]
    [InlineData(1000, 1024)]
    [InlineData(1025, 1152)]
    [InlineData(3 * 4096, 3 * 4096)]
    public void SizeClassesAreEightPerOctave(int length, int sizeClass) => Assert.Equal(sizeClass, ArrayPoolBySizeClass<float>.SizeClass(length));

    [Fact]
    public void ANeighbouringLengthReusesAnArrayAndANewLengthIsAllocatedExactly()
    {
        var pool = new ArrayPoolBySizeClass<float>(maxPooledBytes: 1 << 20);
        var fresh = pool.Rent(1000);
        Assert.Equal(1000, fresh.Length);                 // new arrays waste nothing
        pool.Return(fresh);
        Assert.Same(fresh, pool.Rent(990));               // same class
        pool.Return(fresh);
        Assert.Same(fresh, pool.Rent(900));               // the class below still fits in it
        pool.Return(fresh);
        Assert.NotSame(fresh, pool.Rent(1001));           // too short for 1001
        Assert.NotSame(fresh, pool.Rent(700));            // three classes down would waste too much
    }

    [Fact]
    public void ATensorOverALongerPooledArraySeesOnlyItsOwnElements()
    {
        TensorMemory.TrimPools();
        float[] array;
        using (new TensorScope())
        {
            var big = Tensor.Full([1000], 7f);
            array = big.FloatArray;
        }
        using (new TensorScope())
        {
            var zeros = Tensor.Zeros(990);
            Assert.Same(array, zeros.FloatArray);
            Assert.Equal(990, zeros.NumEl);
            Assert.Equal(0.0, zeros.Sum().Item());
            Assert.Equal(990, zeros.ToArray().Length);
            var ones = Tensor.Ones(990);
            Assert.Equal(990f, ones.Sum().Item());
            Assert.Equal(990f, ones.Exp().Log().Sum().Item(), 3);
        }
    }
}

public class ArrayPoolGrowingSizesTests
{
    [Fact]
    public void SizesGrowingByOneKeepOneArrayPerClassNotOnePerLength()
    {
        var pool = new ArrayPoolBySizeClass<long>(maxPooledBytes: 1L << 30);
        for (int n = 1000; n < 3000; n++) pool.Return(pool.Rent(n));
        // Eight classes per octave between 1,000 and 3,000: a handful of arrays, not 2,000 of them.
        Assert.True(pool.PooledBytes < 64 * 3000 * sizeof(long), $"{pool.PooledBytes:N0} bytes pooled");
    }
}

public class ArrayPoolBestFitTests
{
    [Fact]
    public void AShortRequestTakesTheShortestFittingArraySoTheLongerOneStaysForItsOwner()
    {
        var pool = new ArrayPoolBySizeClass<float>(maxPooledBytes: 1 << 20);
        var (shorter, longer) = (pool.Rent(1100), pool.Rent(1130));   // one class (1,025 .. 1,152)
        pool.Return(shorter);
        pool.Return(longer);
        Assert.Same(shorter, pool.Rent(1100));
        Assert.Same(longer, pool.Rent(1130));
    }
}
