using Sapling.Backends.Cpu;

namespace Sapling.Core.Tests.Backends;

/// <summary>Every int8 path this CPU has against a plain triple loop: the int32 sums must be identical.</summary>
public class Int8GemmTests
{
    public static TheoryData<Int8Path, int, int, int> Cases()
    {
        var data = new TheoryData<Int8Path, int, int, int>();
        foreach (var path in new[] { Int8Path.Scalar, Int8Path.Avx2, Int8Path.AvxVnni })
            foreach (var (m, n, k) in new[] { (1, 1, 1), (1, 16, 4), (3, 17, 5), (4, 33, 129), (9, 100, 64), (70, 385, 128), (1, 512, 513) })
                data.Add(path, m, n, k);
        return data;
    }

    private static sbyte[] RandomInt8(Random rng, int count, bool extremes)
    {
        var v = new sbyte[count];
        // Include the extreme values: ±127 (and −128 for activations) are where saturating instructions would go wrong.
        for (int i = 0; i < count; i++) v[i] = extremes && i % 5 == 0 ? (sbyte)(i % 2 == 0 ? 127 : -127) : (sbyte)rng.Next(-127, 128);
        return v;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void PathMatchesScalarLoopExactly(Int8Path path, int m, int n, int k)
    {
        if (!Int8Gemm.IsSupported(path)) return;
        var rng = new Random(m * 1000 + n * 10 + k);
        var q = RandomInt8(rng, m * k, extremes: true);
        var w = RandomInt8(rng, n * k, extremes: true);
        var packed = Int8PackedMatrix.Pack(w, n, k, Enumerable.Repeat(1f, n).ToArray());
        var result = new int[m * n];
        Int8Gemm.MultiplyInt32(path, q, m, packed, result);
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                int expected = 0;
                for (int t = 0; t < k; t++) expected += q[i * k + t] * w[j * k + t];
                Assert.Equal(expected, result[i * n + j]);
            }
    }

    [Fact]
    public void AllExtremeValuesDoNotSaturate()
    {
        // 127·127 summed over 1024 inputs, all the same sign: any int16 intermediate would saturate.
        int m = 4, n = 16, k = 1024;
        var q = Enumerable.Repeat((sbyte)127, m * k).ToArray();
        var w = Enumerable.Repeat((sbyte)-127, n * k).ToArray();
        var packed = Int8PackedMatrix.Pack(w, n, k, Enumerable.Repeat(1f, n).ToArray());
        foreach (var path in Enum.GetValues<Int8Path>().Where(Int8Gemm.IsSupported))
        {
            var result = new int[m * n];
            Int8Gemm.MultiplyInt32(path, q, m, packed, result);
            Assert.All(result, v => Assert.Equal(-127 * 127 * k, v));
        }
    }

    [Fact]
    public void BestPathOnThisMachineIsReported()
    {
        // Not an assertion about the hardware: the best path must be one the CPU supports.
        Assert.True(Int8Gemm.IsSupported(Int8Gemm.BestPath));
    }

    [Theory]
    [InlineData(Int8Path.Scalar)]
    [InlineData(Int8Path.Avx2)]
    [InlineData(Int8Path.AvxVnni)]
    public void LinearDequantisesWithRowAndChannelScalesAndAddsBias(Int8Path path)
    {
        if (!Int8Gemm.IsSupported(path)) return;
        var rng = new Random(5);
        int m = 6, n = 21, k = 37;
        var x = Enumerable.Range(0, m * k).Select(_ => (float)(rng.NextDouble() * 4 - 2)).ToArray();
        var wq = RandomInt8(rng, n * k, extremes: false);
        var scales = Enumerable.Range(0, n).Select(i => 0.01f + i * 0.001f).ToArray();
        var bias = Enumerable.Range(0, n).Select(i => i * 0.5f).ToArray();
        var packed = Int8PackedMatrix.Pack(wq, n, k, scales);
        var y = new float[m * n + 3];
        Int8Gemm.Linear(x, 0, m, packed, bias, 0, y, 3, path);
        var q = new sbyte[k];
        for (int i = 0; i < m; i++)
        {
            float rs = Int8Gemm.QuantizeRow(x.AsSpan(i * k, k), q);
            for (int j = 0; j < n; j++)
            {
                int sum = 0;
                for (int t = 0; t < k; t++) sum += q[t] * wq[j * k + t];
                Assert.Equal(sum * (scales[j] * rs) + bias[j], y[3 + i * n + j], 4);
            }
        }
    }

    [Fact]
    public void QuantizeRowRoundsToNearestAndUsesMaxMagnitude()
    {
        var q = new sbyte[4];
        float scale = Int8Gemm.QuantizeRow([-2f, 1f, 0.5f, 0f], q);
        Assert.Equal(2f / 127f, scale, 6);
        Assert.Equal(new sbyte[] { -127, 64, 32, 0 }, q);
        Assert.Equal(1f, Int8Gemm.QuantizeRow([0f, 0f, 0f, 0f], q));
        Assert.All(q, v => Assert.Equal(0, v));
    }
}

/// <summary>The vectorised activation quantiser against the scalar formula, at lengths that exercise its tail.</summary>
public class Int8QuantizeRowTests
{
    [Theory]
    [InlineData(31)]
    [InlineData(32)]
    [InlineData(100)]
    public void VectorAndScalarRoundingAgree(int length)
    {
        var rng = new Random(length);
        // Values that land exactly on .5 after scaling check the half-to-even rule too.
        var x = Enumerable.Range(0, length).Select(i => i % 9 == 0 ? (i % 2 == 0 ? 0.5f : -2.5f) * (2f / 127f) : (float)(rng.NextDouble() * 4 - 2)).ToArray();
        x[0] = 2f;
        var q = new sbyte[length];
        float scale = Int8Gemm.QuantizeRow(x, q);
        float inverse = 127f / x.Max(MathF.Abs);
        Assert.Equal(1f / inverse, scale, 6);
        for (int i = 0; i < length; i++) Assert.Equal((sbyte)MathF.Round(x[i] * inverse), q[i]);
    }
}
