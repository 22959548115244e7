using Sapling.Backends;
using Sapling.Backends.Cpu;
using Sapling.Backends.Reference;
using Sapling.Quantization;

namespace Sapling.Core.Tests.Backends;

/// <summary>Tensor ops run on the current backend; an override belongs to the thread that made it.</summary>
public class BackendSelectionTests
{
    private static int ThisThread => Environment.CurrentManagedThreadId;

    [Fact]
    public void EveryKernelIsReachedThroughTheCurrentBackend()
    {
        var (kernels, recorder) = RecordingKernels.Wrap(CpuKernels.Instance);
        using (Backend.Use(kernels))
        {
            var g = new Generator(4);
            var x = Tensor.Randn([2, 3, 6, 6], g).RequiresGrad_();
            var w = Tensor.Randn([4, 3, 3, 3], g).RequiresGrad_();
            var y = Tensor.BatchNorm(Tensor.Conv2d(x, w, padding: (1, 1)), null, null, Tensor.Ones(4).RequiresGrad_(), Tensor.Zeros(4), training: true).Tanh();
            var pooled = Tensor.MaxPool2d(y, (2, 2)) + Tensor.AvgPool2d(y, (2, 2)) * 0.5f;
            var features = Tensor.AdaptiveAvgPool2d(pooled, (2, 2)).Reshape(2, 16).Exp();
            var normed = Tensor.RmsNorm(Tensor.LayerNorm(features, [16], null, null), Tensor.Ones(16).RequiresGrad_()).Gelu();
            var logits = normed.MatMul(Tensor.Randn([16, 5], g));
            Tensor.CrossEntropy(logits, Tensor.FromArray(new long[] { 0, 3 })).Backward();
            // A strided convolution's input gradient folds its patches back (unit stride takes a convolution instead).
            Tensor.Conv2d(x, w, stride: (2, 2)).Sum().Backward();

            var q = Tensor.Randn([1, 2, 4, 8], g).RequiresGrad_();
            var k = Tensor.Randn([1, 2, 4, 8], g).RequiresGrad_();
            var attention = Tensor.CausalAttention(q, k, k) + q.MatMul(k.Transpose(-1, -2)).Softmax(-1).MatMul(k) + q.MatMul(k.Transpose(-1, -2)).CausalSoftmax().MatMul(k);
            attention.Sum().Backward();
            using (Autograd.NoGrad.Enter()) _ = Tensor.ScaledDotProductAttention(q, k, k, [3]);
            _ = Tensor.Randn([3, 4], g).ArgMax(1);

            // Data movement and the int8 kernels.
            var table = Tensor.Randn([5, 4], g).RequiresGrad_();
            var rows = table.T().Contiguous().IndexSelect(1, Tensor.FromArray(new long[] { 4, 0, 4 }));
            var picked = table.Gather(1, Tensor.FromArray(new long[] { 3, 0, 1, 1, 2 }, 5, 1));
            var masked = Tensor.Where(table.Gt(0f), table, 0f).Tril().Dropout(0.2f, generator: g);
            (rows.Sum() + picked.Sum() + masked.Sum() + Tensor.Ones(1)).Sum().Backward();
            _ = table.To(DType.BFloat16).ToArray<ushort>();
            using (Autograd.NoGrad.Enter())
            {
                var weight = QuantizedWeight.Quantize(Tensor.Randn([4, 2, 2, 2], g));
                _ = Tensor.QuantizedLinear(Tensor.Randn([3, 8], g), weight);
                _ = Tensor.QuantizedConv2d(Tensor.Randn([1, 2, 3, 3], g), weight);
                _ = Tensor.QuantizedEmbedding(Tensor.FromArray(new long[] { 1, 3 }), weight);
            }
            // The stored-weight kernels: a bf16 weight and table, with an input gradient through the frozen weight.
            var bf16 = Tensor.Randn([4, 8], g).To(DType.BFloat16);
            Tensor.Linear(Tensor.Randn([3, 8], g).RequiresGrad_(), bf16).Sum().Backward();
            _ = Tensor.Embedding(Tensor.FromArray(new long[] { 1, 3 }), bf16);
        }
        // An interface's GetMethods lists only its own members, so the compute kernels IKernels inherits are added.
        var expected = typeof(IKernels).GetInterfaces().Append(typeof(IKernels))
            .SelectMany(i => i.GetMethods()).Select(m => m.Name).Where(n => n != "get_Name").Order();
        var called = recorder.CalledFrom(ThisThread).Distinct().Order();
        Assert.Equal(expected, called);
    }

    [Fact]
    public void AnOverrideIsSeenOnlyByItsThread()
    {
        var (kernels, recorder) = RecordingKernels.Wrap(CpuKernels.Instance);
        var x = Tensor.FromArray(new float[] { 1, 2, 3 });
        float[]? otherResult = null;
        IKernels? otherBackend = null;
        int otherThread = 0;
        float[] ownResult;
        using (Backend.Use(kernels))
        {
            Assert.Same(kernels, Backend.Current);
            var other = new Thread(() =>
            {
                otherThread = ThisThread;
                otherBackend = Backend.Current;
                otherResult = x.Softmax().ToArray();
            });
            other.Start();
            other.Join();
            ownResult = x.Softmax().ToArray();
        }
        Assert.Same(Backend.Default, otherBackend);
        Assert.Empty(recorder.CalledFrom(otherThread));
        // The softmax, then ToArray's copy out of the tensor.
        Assert.Equal(["SoftmaxForward", "CopyStrided"], recorder.CalledFrom(ThisThread));
        // Both threads computed the same numbers: e^i / (e + e² + e³).
        Assert.Equal(ownResult, otherResult);
        Assert.Equal(0.66524096f, ownResult[2], 6);
    }

    [Fact]
    public void ScopesNestAndRestoreWhatWasCurrent()
    {
        var reference = new ReferenceKernels();
        var (kernels, recorder) = RecordingKernels.Wrap(reference);
        var before = Backend.Current;
        using (Backend.Use(reference))
        {
            using (Backend.Use(kernels))
            {
                Assert.Equal(6f, Tensor.FromArray(new float[] { 1, 2, 3 }).Sum().Item());
                Assert.Same(kernels, Backend.Current);
            }
            Assert.Same(reference, Backend.Current);
            Assert.Equal(6f, Tensor.FromArray(new float[] { 1, 2, 3 }).Sum().Item());
        }
        Assert.Same(before, Backend.Current);
        Assert.Equal(["Sum"], recorder.CalledFrom(ThisThread));
    }

    [Fact]
    public void UseRefusesNull() => Assert.Throws<ArgumentNullException>(() => Backend.Use(null!));
}

/// <summary>Changing the process default affects every thread, so these tests run alone.</summary>
[CollectionDefinition(nameof(ProcessDefaultBackend), DisableParallelization = true)]
public class ProcessDefaultBackend;

[Collection(nameof(ProcessDefaultBackend))]
public class BackendDefaultTests
{
    [Fact]
    public void TheCpuBackendIsTheDefault()
    {
        Assert.Same(CpuKernels.Instance, Backend.Default);
        Assert.Equal("cpu", Backend.Default.Name);
    }

    [Fact]
    public void ANewDefaultReachesOtherThreadsButNotAnOverride()
    {
        var (kernels, recorder) = RecordingKernels.Wrap(CpuKernels.Instance);
        var previous = Backend.Default;
        Backend.Default = kernels;
        try
        {
            int otherThread = 0;
            float otherSum = 0;
            var other = new Thread(() =>
            {
                otherThread = Environment.CurrentManagedThreadId;
                otherSum = Tensor.FromArray(new float[] { 1, 2, 3, 4 }).Sum().Item();
            });
            other.Start();
            other.Join();
            Assert.Equal(10f, otherSum);
            Assert.Equal(["Sum"], recorder.CalledFrom(otherThread));

            using (Backend.Use(CpuKernels.Instance))
                Assert.Equal(10f, Tensor.FromArray(new float[] { 1, 2, 3, 4 }).Sum().Item());
            Assert.Empty(recorder.CalledFrom(Environment.CurrentManagedThreadId));
        }
        finally
        {
            Backend.Default = previous;
        }
        Assert.Throws<ArgumentNullException>(() => Backend.Default = null!);
    }
}
