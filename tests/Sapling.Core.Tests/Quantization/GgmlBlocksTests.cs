using System.Buffers.Binary;
using Sapling.LlamaCpp;
using Sapling.Quantization.Ggml;

namespace Sapling.Core.Tests.Quantization;

/// <summary>A test that calls ggml itself (libggml-base from LLamaSharp.Backend.Cpu): skipped, with the reason, when it does not load.</summary>
public sealed class GgmlOracleTheoryAttribute : TheoryAttribute
{
    public GgmlOracleTheoryAttribute()
    {
        if (!GgmlNative.TryLoad(out var whyNot)) Skip = whyNot;
    }
}

/// <summary>As <see cref="GgmlOracleTheoryAttribute"/>, for a single case.</summary>
public sealed class GgmlOracleFactAttribute : FactAttribute
{
    public GgmlOracleFactAttribute()
    {
        if (!GgmlNative.TryLoad(out var whyNot)) Skip = whyNot;
    }
}

public class GgmlBlocksTests
{
    public static readonly TheoryData<GgmlType> AllTypes = new(
        GgmlType.F32, GgmlType.F16, GgmlType.BF16,
        GgmlType.Q4_0, GgmlType.Q4_1, GgmlType.Q5_0, GgmlType.Q5_1, GgmlType.Q8_0,
        GgmlType.Q2_K, GgmlType.Q3_K, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K, GgmlType.Q8_K);

    private const int PerRow = 512;   // two K-quant super-blocks, sixteen legacy blocks

    private static float Normal(Random rng) =>
        (float)(Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble()));

    /// <summary>Rows that exercise the quantisers: random normals at scales from 1e-3 to 1e3, heavy tails, one-sided rows, and edge rows.</summary>
    private static (float[] Data, int Rows) TestRows(int seed)
    {
        var rng = new Random(seed);
        var rows = new List<float[]>();
        foreach (float scale in new[] { 1f, 0.02f, 1e-3f, 37.5f, 1e3f })
            rows.Add(Enumerable.Range(0, PerRow).Select(_ => scale * Normal(rng)).ToArray());
        // Heavy-tailed (a few large weights among small ones, as in real checkpoints), and one-sided rows.
        rows.Add(Enumerable.Range(0, PerRow).Select(_ => Normal(rng) * (rng.NextDouble() < 0.02 ? 30f : 0.5f)).ToArray());
        rows.Add(Enumerable.Range(0, PerRow).Select(_ => MathF.Abs(Normal(rng)) + 0.25f).ToArray());
        rows.Add(Enumerable.Range(0, PerRow).Select(_ => -MathF.Abs(Normal(rng)) * 3f).ToArray());
        // Uniform values on a coarse grid: many exact ties in the rounding steps.
        rows.Add(Enumerable.Range(0, PerRow).Select(_ => rng.Next(-16, 17) * 0.125f).ToArray());
        rows.Add(new float[PerRow]);                                                      // all zeros
        var outlier = new float[PerRow];
        outlier[77] = 5.5f;
        outlier[300] = -0.75f;
        rows.Add(outlier);                                                                // mostly zeros, single outliers
        rows.Add(Enumerable.Range(0, PerRow).Select(_ => 1e-30f * Normal(rng)).ToArray()); // tiny
        rows.Add(Enumerable.Range(0, PerRow).Select(_ => 1e4f * Normal(rng)).ToArray());   // large
        rows.Add(Enumerable.Repeat(0.7f, PerRow).ToArray());                              // equal values
        rows.Add(Enumerable.Repeat(-3f, PerRow).ToArray());
        var mixed = Enumerable.Range(0, PerRow).Select(_ => Normal(rng)).ToArray();        // blocks of each kind in one row
        for (int i = 0; i < 32; i++) mixed[i] = 0f;
        for (int i = 256; i < 288; i++) mixed[i] = 2.5f;
        for (int i = 64; i < 96; i++) mixed[i] *= 1e-20f;
        rows.Add(mixed);
        return (rows.SelectMany(r => r).ToArray(), rows.Count);
    }

    private static string FirstDifference(byte[] expected, byte[] actual, GgmlType type)
    {
        for (int i = 0; i < expected.Length; i++)
            if (expected[i] != actual[i])
            {
                int block = i / type.BlockBytes();
                return $"{type.Name()}: first differing byte {i} (block {block}, offset {i % type.BlockBytes()}): ggml {expected[i]:X2}, ours {actual[i]:X2}";
            }
        return "";
    }

    private static void AssertBitEqual(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
                Assert.Fail($"{what}: element {i}: ggml {expected[i]:R} (0x{BitConverter.SingleToInt32Bits(expected[i]):X8}), ours {actual[i]:R} (0x{BitConverter.SingleToInt32Bits(actual[i]):X8})");
    }

    [GgmlOracleTheory]
    [MemberData(nameof(AllTypes))]
    public void QuantizeGivesGgmlsBytes(GgmlType type)
    {
        foreach (int seed in new[] { 1, 2, 3, 4 })
        {
            var (data, rows) = TestRows(seed);
            var expected = GgmlNative.Quantize(type, data, rows, PerRow);
            var actual = new byte[expected.Length];
            Array.Fill(actual, (byte)0xA5);   // every byte must be written
            GgmlBlocks.Quantize(type, data, actual);
            Assert.True(expected.AsSpan().SequenceEqual(actual), $"seed {seed}: " + FirstDifference(expected, actual, type));
        }
    }

    /// <summary>
    /// Many more rows (256K values): a float operation done in another order than ggml's shows up only when it tips a
    /// rounding or a comparison, which takes volume to meet.
    /// </summary>
    [GgmlOracleTheory]
    [MemberData(nameof(AllTypes))]
    public void QuantizeOfManyRowsGivesGgmlsBytes(GgmlType type)
    {
        var rng = new Random(11);
        const int rows = 512;
        var data = new float[rows * PerRow];
        for (int r = 0; r < rows; r++)
        {
            float scale = MathF.Pow(10f, (float)(rng.NextDouble() * 6 - 3));
            bool heavy = r % 3 == 0;
            float shift = r % 5 == 0 ? scale : 0f;
            for (int i = 0; i < PerRow; i++)
                data[r * PerRow + i] = scale * Normal(rng) * (heavy && rng.NextDouble() < 0.03 ? 20f : 1f) + shift;
        }
        var expected = GgmlNative.Quantize(type, data, rows, PerRow);
        var actual = new byte[expected.Length];
        GgmlBlocks.Quantize(type, data, actual);
        Assert.True(expected.AsSpan().SequenceEqual(actual), FirstDifference(expected, actual, type));
    }

    [GgmlOracleTheory]
    [MemberData(nameof(AllTypes))]
    public void DequantizeGivesGgmlsFloats(GgmlType type)
    {
        var (data, rows) = TestRows(4);
        var bytes = GgmlNative.Quantize(type, data, rows, PerRow);
        var actual = new float[data.Length];
        GgmlBlocks.Dequantize(type, bytes, actual);
        AssertBitEqual(GgmlNative.Dequantize(type, bytes, data.Length), actual, type.Name());
    }

    /// <summary>
    /// Random block contents, including scale and level combinations no quantiser produces (negative and extreme
    /// sub-block scales, every bit pattern of the packed fields). The binary16 / float32 scales are kept finite so that
    /// no NaN arithmetic is involved.
    /// </summary>
    [GgmlOracleTheory]
    [MemberData(nameof(AllTypes))]
    public void DequantizeOfRandomBlocksGivesGgmlsFloats(GgmlType type)
    {
        var rng = new Random(5);
        int blocks = 64, count = blocks * type.BlockSize();
        var bytes = new byte[type.ByteCount(count)];
        rng.NextBytes(bytes);
        for (int b = 0; b < blocks; b++)
        {
            var block = bytes.AsSpan(b * type.BlockBytes(), type.BlockBytes());
            foreach (int offset in HalfOffsets(type))
                BinaryPrimitives.WriteUInt16LittleEndian(block[offset..], FiniteHalfBits(rng));
            if (type == GgmlType.Q8_K)   // its scale is a float32
                BinaryPrimitives.WriteSingleLittleEndian(block, (float)(Normal(rng) * Math.Pow(10, rng.Next(-30, 30))));
        }
        var actual = new float[count];
        GgmlBlocks.Dequantize(type, bytes, actual);
        AssertBitEqual(GgmlNative.Dequantize(type, bytes, count), actual, type.Name());
    }

    private static ushort FiniteHalfBits(Random rng)
    {
        while (true)
        {
            ushort h = (ushort)rng.Next(0, 65536);
            if ((h & 0x7C00) != 0x7C00) return h;
        }
    }

    /// <summary>Byte offsets of the binary16 fields in one block (the ones random bytes could turn into inf or NaN).</summary>
    private static int[] HalfOffsets(GgmlType type) => type switch
    {
        GgmlType.F16 => [0],
        GgmlType.Q4_0 or GgmlType.Q5_0 or GgmlType.Q8_0 => [0],
        GgmlType.Q4_1 or GgmlType.Q5_1 or GgmlType.Q4_K or GgmlType.Q5_K => [0, 2],
        GgmlType.Q2_K => [80, 82],
        GgmlType.Q3_K => [108],
        GgmlType.Q6_K => [208],
        _ => [],
    };

    /// <summary>Every binary16 and bfloat16 bit pattern, NaNs and subnormals included, decodes as ggml decodes it.</summary>
    [GgmlOracleTheory]
    [InlineData(GgmlType.F16)]
    [InlineData(GgmlType.BF16)]
    public void EveryHalfPatternDecodesAsGgml(GgmlType type)
    {
        var bytes = new byte[65536 * 2];
        for (int h = 0; h < 65536; h++) BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(2 * h), (ushort)h);
        var actual = new float[65536];
        GgmlBlocks.Dequantize(type, bytes, actual);
        AssertBitEqual(GgmlNative.Dequantize(type, bytes, 65536), actual, type.Name());
    }

    /// <summary>float32 → f16/bf16 rounding: random bit patterns (NaNs, infinities, subnormals), halfway cases and overflow.</summary>
    [GgmlOracleTheory]
    [InlineData(GgmlType.F16)]
    [InlineData(GgmlType.BF16)]
    public void HalfRoundingMatchesGgml(GgmlType type)
    {
        var rng = new Random(6);
        var values = new List<float>();
        for (int i = 0; i < 1 << 16; i++) values.Add(BitConverter.Int32BitsToSingle(rng.Next() ^ (rng.Next(2) << 31)));
        // Exactly halfway between two binary16 values (ties to even both ways), just above and below, the overflow
        // threshold 65520, the smallest subnormals, and the bfloat16 halfway patterns.
        foreach (float v in new[] { 1f + 1f / 2048, 1f + 3f / 2048, 1f + 1f / 2048 + 1e-7f, 65504f, 65519.99f, 65520f, 1e5f,
                     5.96e-8f, 2.98e-8f, 2.99e-8f, 6.1e-5f, 1.0000153f, 1.0000458f, -0f, float.Epsilon, float.MaxValue,
                     float.PositiveInfinity, float.NegativeInfinity, float.NaN, BitConverter.Int32BitsToSingle(0x7F80_0001),
                     BitConverter.Int32BitsToSingle(unchecked((int)0xFFC1_2345)), BitConverter.Int32BitsToSingle(0x3F80_8000),
                     BitConverter.Int32BitsToSingle(0x3F81_8000), BitConverter.Int32BitsToSingle(0x7F7F_FFFF) })
            values.Add(v);
        var data = values.ToArray();
        var expected = GgmlNative.Quantize(type, data, 1, data.Length);
        var actual = new byte[expected.Length];
        GgmlBlocks.Quantize(type, data, actual);
        Assert.True(expected.AsSpan().SequenceEqual(actual), FirstDifference(expected, actual, type));
    }

    // ---- Self-contained: no native library needed ----------------------------------------------------------------

    [Fact]
    public void Q8_0OfAKnownRowGivesTheHandComputedBytes()
    {
        // amax = 127, so d = 1 (binary16 0x3C00) and each value is simply rounded, ties away from zero.
        var x = new float[32];
        for (int j = 0; j < 32; j++) x[j] = j - 16 + (j % 4 == 1 ? 0.5f : 0f);
        x[0] = 127f;
        x[31] = -126.5f;
        var bytes = new byte[34];
        GgmlBlocks.Quantize(GgmlType.Q8_0, x, bytes);
        var expected = new byte[34];
        expected[0] = 0x00;
        expected[1] = 0x3C;
        for (int j = 0; j < 32; j++)
        {
            // j − 16 + 0.5 rounds away from zero: up to j − 15 when positive, down to j − 16 when negative.
            int q = j - 16 + (j % 4 == 1 && j >= 16 ? 1 : 0);
            expected[2 + j] = (byte)(sbyte)q;
        }
        expected[2 + 0] = 127;
        expected[2 + 31] = unchecked((byte)(sbyte)-127);   // −126.5 → −127
        Assert.Equal(expected, bytes);

        var back = new float[32];
        GgmlBlocks.Dequantize(GgmlType.Q8_0, bytes, back);
        Assert.Equal(127f, back[0]);
        Assert.Equal(-127f, back[31]);
        Assert.Equal(-15f, back[1]);   // −14.5
        Assert.Equal(-11f, back[5]);   // −10.5
        Assert.Equal(2f, back[17]);    // 1.5
    }

    [Fact]
    public void Q4_0OfAKnownRowGivesTheHandComputedBytes()
    {
        // The extreme is −8, so d = −8 / −8 = 1 and q = round_half_up(x) + 8, capped at 15.
        var x = new float[32];
        for (int j = 0; j < 32; j++) x[j] = (j % 16) - 8;   // −8 .. 7 twice
        x[31] = 7.4f;
        x[30] = -7.5f;   // −7.5 + 8.5 = 1 → q = 1
        var bytes = new byte[18];
        GgmlBlocks.Quantize(GgmlType.Q4_0, x, bytes);
        Assert.Equal(0x00, bytes[0]);
        Assert.Equal(0x3C, bytes[1]);
        for (int j = 0; j < 16; j++)
        {
            int lo = j, hi = j == 15 ? 15 : j == 14 ? 1 : j;
            Assert.Equal((byte)(lo | (hi << 4)), bytes[2 + j]);
        }
    }

    [Theory]
    [MemberData(nameof(AllTypes))]
    public void RoundTripErrorIsBoundedPerType(GgmlType type)
    {
        // Root-mean-square error of Dequantize(Quantize(x)) for x ~ N(0, 1), relative to the RMS of x; the bounds sit
        // about 1.5× above what the formats achieve here (Q2_K 0.30, Q3_K 0.15, Q4_0 0.086, Q4_K 0.071, Q5_K 0.036,
        // Q6_K 0.018, Q8_0 0.0053, BF16 0.0017, F16 0.0002).
        double bound = type switch
        {
            GgmlType.F32 => 0,
            GgmlType.F16 => 3e-4,
            GgmlType.BF16 => 3e-3,
            GgmlType.Q8_0 or GgmlType.Q8_K => 0.01,
            GgmlType.Q6_K => 0.03,
            GgmlType.Q5_0 or GgmlType.Q5_1 or GgmlType.Q5_K => 0.06,
            GgmlType.Q4_0 or GgmlType.Q4_1 or GgmlType.Q4_K => 0.13,
            GgmlType.Q3_K => 0.26,
            GgmlType.Q2_K => 0.5,
            _ => throw new ArgumentOutOfRangeException(nameof(type)),
        };
        var rng = new Random(7);
        var x = Enumerable.Range(0, 4096).Select(_ => Normal(rng)).ToArray();
        var bytes = new byte[type.ByteCount(x.Length)];
        GgmlBlocks.Quantize(type, x, bytes);
        var back = new float[x.Length];
        GgmlBlocks.Dequantize(type, bytes, back);
        double err = 0, norm = 0;
        for (int i = 0; i < x.Length; i++)
        {
            err += (back[i] - x[i]) * (double)(back[i] - x[i]);
            norm += x[i] * (double)x[i];
        }
        double relative = Math.Sqrt(err / norm);
        Assert.True(relative <= bound, $"{type.Name()}: relative RMS error {relative:G4} > {bound}");
    }

    [Fact]
    public void WrongLengthsAreRefusedWithTheTypeNamed()
    {
        var e = Assert.Throws<ArgumentException>(() => GgmlBlocks.Quantize(GgmlType.Q4_0, new float[32], new byte[17]));
        Assert.Contains("q4_0", e.Message);
        Assert.Contains("18", e.Message);
        e = Assert.Throws<ArgumentException>(() => GgmlBlocks.Dequantize(GgmlType.Q6_K, new byte[210], new float[255]));
        Assert.Contains("q6_K", e.Message);
        Assert.Contains("256", e.Message);
        e = Assert.Throws<ArgumentException>(() => GgmlBlocks.Dequantize(GgmlType.Q4_K, new byte[145], new float[256]));
        Assert.Contains("q4_K", e.Message);
    }

    [Fact]
    public void UnsupportedTypesAreRefusedWithTheTypeNamed()
    {
        var e = Assert.Throws<NotSupportedException>(() => GgmlBlocks.Dequantize(GgmlType.Q8_1, new byte[36], new float[32]));
        Assert.Contains("q8_1", e.Message);
        e = Assert.Throws<NotSupportedException>(() => GgmlBlocks.Quantize(GgmlType.I8, new float[4], new byte[4]));
        Assert.Contains("i8", e.Message);
        e = Assert.Throws<NotSupportedException>(() => GgmlBlocks.Quantize((GgmlType)20, new float[32], new byte[18]));
        Assert.Contains("20", e.Message);
    }
}
