using Sapling.Backends;
using Sapling.Backends.Cpu;
using Sapling.Backends.Reference;

namespace Sapling.Core.Tests.Backends;

/// <summary>
/// The int8 kernels against the reference, bit for bit: quantisation is integer rounding, the sums are exact int32, and
/// the reference dequantises in the fast path's float order.
/// </summary>
public class Int8AgreementTests
{
    private static readonly IKernels Fast = CpuKernels.Instance;
    private static readonly IKernels Reference = new ReferenceKernels();

    public static TheoryData<int> Sizes() => [.. KernelData.AwkwardWidths];

    [Theory]
    [MemberData(nameof(Sizes))]
    public void QuantizeRowsAgrees(int n)
    {
        var rng = new Random(n);
        const int rows = 4;
        var x = KernelData.Random(rng, rows * n, offset: 3);
        // Row 1 is all zeros; row 2 has amax 127, so x·127/amax = x and the halves are exact ties.
        for (int i = 0; i < n; i++) x[3 + n + i] = 0f;
        for (int i = 0; i < n; i++) x[3 + 2 * n + i] = i == 0 ? 127f : (i % 2 == 0 ? 1 : -1) * (i % 100 + 0.5f);
        var (qe, qa) = (new sbyte[rows * n + 2], new sbyte[rows * n + 2]);
        var (se, sa) = (KernelData.Output(rows), KernelData.Output(rows));
        Reference.QuantizeRowsInt8(x, 3, rows, n, qe, se);
        Fast.QuantizeRowsInt8(x, 3, rows, n, qa, sa);
        Assert.Equal(qe, qa);
        KernelData.Equal(se, sa, rows, $"int8 scales n={n}");
        Assert.Equal(1f, se[1]);
    }

    [Fact]
    public void QuantisationRoundsHalvesToEven()
    {
        float[] x = [127f, 0.5f, 1.5f, 2.5f, -0.5f, -1.5f, -126.5f];
        var q = new sbyte[x.Length];
        var scale = new float[1];
        Reference.QuantizeRowsInt8(x, 0, 1, x.Length, q, scale);
        Assert.Equal(new sbyte[] { 127, 0, 2, 2, 0, -2, -126 }, q);
        Assert.Equal(1f, scale[0]);
    }

    [Fact]
    public void QuantisationRefusesNaNWithTheSameMessage()
    {
        float[] x = [1f, float.NaN, 2f];
        var e1 = Assert.Throws<ArgumentException>(() => Reference.QuantizeRowsInt8(x, 0, 1, 3, new sbyte[3], new float[1]));
        var e2 = Assert.Throws<ArgumentException>(() => Fast.QuantizeRowsInt8(x, 0, 1, 3, new sbyte[3], new float[1]));
        Assert.Equal(e2.Message, e1.Message);
    }

    private static Int8PackedMatrix RandomWeight(Random rng, int n, int k)
    {
        var w = new sbyte[n * k];
        for (int i = 0; i < w.Length; i++) w[i] = i % 7 == 0 ? (sbyte)(i % 2 == 0 ? 127 : -127) : (sbyte)rng.Next(-127, 128);
        var scales = Enumerable.Range(0, n).Select(_ => 0.001f + rng.NextSingle() * 0.02f).ToArray();
        return Int8PackedMatrix.Pack(w, n, k, scales);
    }

    public static TheoryData<int, int, int> LinearPlans()
    {
        var data = new TheoryData<int, int, int>();
        foreach (int k in KernelData.AwkwardWidths)
            foreach (var (m, n) in new[] { (1, 7), (5, 17), (33, 33) })
                data.Add(m, n, k);
        data.Add(65, 65, 64);
        return data;
    }

    [Theory]
    [MemberData(nameof(LinearPlans))]
    public void LinearAgreesExactly(int m, int n, int k)
    {
        var rng = new Random(m * 10_000 + n * 100 + k);
        var w = RandomWeight(rng, n, k);
        var x = KernelData.Random(rng, m * k, offset: 2);
        if (m > 1) Array.Clear(x, 2 + k, k);   // a zero row
        var bias = KernelData.Random(rng, n, offset: 1);
        foreach (bool withBias in new[] { false, true })
        {
            var expected = KernelData.Output(m * n);
            var actual = KernelData.Output(m * n);
            Reference.Int8Linear(x, 2, m, w, withBias ? bias : null, 1, expected);
            Fast.Int8Linear(x, 2, m, w, withBias ? bias : null, 1, actual);
            KernelData.Equal(expected, actual, m * n, $"int8 linear {m}x{n}x{k} bias={withBias}");
        }
    }

    public static TheoryData<int, int, int, int, int, int> ConvPlans() => new()
    {
        // channels, size, kernel, stride, padding, dilation
        { 1, 7, 3, 1, 1, 1 },
        { 3, 9, 3, 2, 0, 1 },
        { 2, 17, 5, 1, 2, 2 },
        { 5, 6, 1, 1, 0, 1 },
    };

    [Theory]
    [MemberData(nameof(ConvPlans))]
    public void Conv2dAgreesExactly(int channels, int size, int kernel, int stride, int padding, int dilation)
    {
        var rng = new Random(channels * 1000 + size * 10 + kernel);
        const int batch = 2, outChannels = 7;
        var g = new Conv2dGeometry(batch, channels, size, size + 1, kernel, kernel, stride, stride, padding, padding, dilation, dilation);
        var w = RandomWeight(rng, outChannels, channels * kernel * kernel);
        var x = KernelData.Random(rng, batch * channels * size * (size + 1), offset: 3);
        var bias = KernelData.Random(rng, outChannels);
        int count = batch * g.OutPlane * outChannels;
        var expected = KernelData.Output(count);
        var actual = KernelData.Output(count);
        Reference.Int8Conv2d(x, 3, g, w, bias, 0, expected);
        Fast.Int8Conv2d(x, 3, g, w, bias, 0, actual);
        KernelData.Equal(expected, actual, count, $"int8 conv2d c={channels} size={size} k={kernel}");
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void EmbeddingAgrees(int dim)
    {
        var rng = new Random(dim);
        const int rows = 9;
        var values = Enumerable.Range(0, rows * dim).Select(_ => (sbyte)rng.Next(-127, 128)).ToArray();
        var scales = Enumerable.Range(0, rows).Select(_ => rng.NextSingle() + 0.01f).ToArray();
        var table = Int8PackedMatrix.Pack(values, rows, dim, scales);
        long[] ids = [0, 8, 3, 3, 1];
        var expected = KernelData.Output(ids.Length * dim);
        var actual = KernelData.Output(ids.Length * dim);
        Reference.Int8Embedding(table, ids, expected);
        Fast.Int8Embedding(table, ids, actual);
        // Both equal the row-major values times the row's scale.
        for (int i = 0; i < ids.Length; i++)
            for (int j = 0; j < dim; j++) Assert.Equal(values[ids[i] * dim + j] * scales[ids[i]], expected[i * dim + j]);
        KernelData.Equal(expected, actual, ids.Length * dim, $"int8 embedding dim={dim}");
    }
}
