using Sapling.Autograd;
using Sapling.Backends;
using Sapling.Backends.Cpu;
using Sapling.Backends.Reference;
using Sapling.Quantization;

namespace Sapling.Core.Tests.Backends;

/// <summary>
/// The tensor ops that move data, run once on each backend: the same results bit for bit, and the same errors, since
/// index checks stay in the tensor layer.
/// </summary>
public class DataMovementOpTests
{
    public static TheoryData<string> Backends() => ["cpu", "reference"];

    private static IKernels Pick(string name) => name == "cpu" ? CpuKernels.Instance : new ReferenceKernels();

    [Theory]
    [MemberData(nameof(Backends))]
    public void OutOfRangeIndicesKeepTheirMessages(string backend)
    {
        using var _ = Backend.Use(Pick(backend));
        var x = Tensor.Randn([3, 4], new Generator(1));
        var e = Assert.Throws<IndexOutOfRangeException>(() => x.IndexSelect(0, Tensor.FromArray(new long[] { 0, 3 })));
        Assert.Equal("index_select: index 3 is out of range for a dimension of size 3", e.Message);
        e = Assert.Throws<IndexOutOfRangeException>(() => x.Gather(1, Tensor.FromArray(new long[] { 0, -5 }, 1, 2)));
        Assert.Equal("gather: index -5 is out of range for a dimension of size 4", e.Message);
        e = Assert.Throws<IndexOutOfRangeException>(() => Tensor.Zeros(3, 4).ScatterAdd(0, Tensor.FromArray(new long[] { 7 }, 1, 1), x));
        Assert.Equal("scatter_add: index 7 is out of range for a dimension of size 3", e.Message);
        var table = QuantizedWeight.Quantize(Tensor.Randn([5, 4], new Generator(2)));
        var a = Assert.Throws<ArgumentException>(() => Tensor.QuantizedEmbedding(Tensor.FromArray(new long[] { 1, 5 }), table));
        Assert.Equal("quantized_embedding: id 5 is outside the table of 5 rows", a.Message);
        var q = Assert.Throws<ArgumentException>(() => QuantizedWeight.Quantize(Tensor.FromArray(new[] { 1f, float.NaN, 0f, 1f }, 2, 2)));
        Assert.Equal("quantize: output channel 0 of the weight holds NaN or infinity", q.Message);
        // Negative indices count from the end.
        Assert.Equal(x.Select(0, 2).ToArray(), x.IndexSelect(0, Tensor.FromArray(new long[] { -1 })).Reshape(4).ToArray());
    }

    /// <summary>Every routed op once, on one backend; the outputs in order.</summary>
    private static List<float[]> RunOps(IKernels kernels)
    {
        using var _ = Backend.Use(kernels);
        var g = new Generator(9);
        var outputs = new List<float[]>();
        var x = Tensor.Randn([5, 7, 3], g).RequiresGrad_();
        var view = x.Permute(2, 0, 1).Narrow(2, 1, 5);
        outputs.Add(view.Contiguous().ToArray());
        outputs.Add(Tensor.Cat([view, view.Narrow(2, 0, 2)], 2).ToArray());
        var target = Tensor.Zeros(3, 5, 5);
        target.Transpose(1, 2).CopyFrom(view);
        outputs.Add(target.ToArray());
        outputs.Add(x.To(DType.BFloat16).To(DType.Float32).ToArray());
        outputs.Add(x.To(DType.Int8).To(DType.Int64).To(DType.Float32).ToArray());
        outputs.Add(Tensor.Full([3, 4], 2.5f).ToArray());

        var picked = x.IndexSelect(1, Tensor.FromArray(new long[] { 6, 0, 6, -2 }));
        var gathered = x.Gather(2, Tensor.FromArray(Enumerable.Range(0, 5 * 7 * 2).Select(i => (long)(i * 7 % 3)).ToArray(), 5, 7, 2));
        var tri = x.Narrow(2, 0, 3).Transpose(0, 1).Tril(-1) + x.Transpose(0, 1).Triu(1);
        var mask = x.Gt(0.3f);
        var filled = x.MaskedFill(mask, -1f) + Tensor.Where(mask, x, x * 2f);
        var dropped = x.Dropout(0.25f, training: true, generator: new Generator(4));
        outputs.AddRange([picked.ToArray(), gathered.ToArray(), tri.ToArray(), filled.ToArray(), dropped.ToArray()]);
        var loss = picked.Sum() + gathered.Pow(2f).Sum() + tri.Sum() + filled.Sum() + dropped.Sum()
            + Tensor.Zeros(5, 7, 3).ScatterAdd(1, Tensor.FromArray(new long[] { 1, 1, 4, 0, 6, 6 }, 1, 2, 3), x.Narrow(0, 0, 1).Narrow(1, 0, 2) * 3f).Sum()
            + Tensor.Zeros(5, 7, 3).ScatterAddNoGrad(1, Tensor.FromArray(new long[] { 1, 1, 4, 0, 6, 6 }, 1, 2, 3), x.Detach() * 3f).Sum();
        loss.Backward();
        outputs.Add(x.Grad!.ToArray());

        using (NoGrad.Enter())
        {
            var weight = QuantizedWeight.Quantize(Tensor.Randn([6, 3, 2, 2], g));
            var input = Tensor.Randn([2, 3, 5, 6], g);
            outputs.Add(Tensor.QuantizedConv2d(input, weight, Tensor.Randn([6], g), padding: (1, 0)).ToArray());
            outputs.Add(Tensor.QuantizedLinear(Tensor.Randn([4, 12], g), weight).ToArray());
            outputs.Add(Tensor.QuantizedEmbedding(Tensor.FromArray(new[] { 5, 0, 5 }), weight).ToArray());
            outputs.Add(weight.Scale.ToArray());
            outputs.Add(weight.Values.To(DType.Float32).ToArray());
        }
        return outputs;
    }

    [Fact]
    public void EveryRoutedOpGivesTheSameBitsOnBothBackends()
    {
        var fast = RunOps(CpuKernels.Instance);
        var reference = RunOps(new ReferenceKernels());
        Assert.Equal(reference.Count, fast.Count);
        for (int i = 0; i < fast.Count; i++)
            Assert.True(reference[i].Select(BitConverter.SingleToUInt32Bits).SequenceEqual(fast[i].Select(BitConverter.SingleToUInt32Bits)), $"output {i} differs between the backends");
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public void DropoutDrawsTheSameMaskAsBeforeTheSeam(string backend)
    {
        using var _ = Backend.Use(Pick(backend));
        var x = Tensor.Ones(1031);
        var g = new Generator(12);
        var y = x.Dropout(0.3f, training: true, generator: g).ToArray();
        // The loop Tensor.Dropout ran before the mask moved behind the seam.
        var replay = new Generator(12);
        float scale = 1f / (1f - 0.3f);
        for (int i = 0; i < y.Length; i++) Assert.Equal(replay.NextFloat() < 0.3f ? 0f : scale, y[i]);
        Assert.Equal(replay.GetState(), g.GetState());
    }
}
