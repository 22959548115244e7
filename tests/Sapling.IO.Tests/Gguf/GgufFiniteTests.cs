using Sapling.IO.Gguf;
using Sapling.Quantization.Ggml;

namespace Sapling.IO.Tests.Gguf;

/// <summary>NaN and infinity in a GGUF tensor are found: any element of a float type, any block scale of a block type.</summary>
public class GgufFiniteTests
{
    private static byte[] Encode(GgmlType type, float[] values)
    {
        var bytes = new byte[type.ByteCount(values.Length)];
        GgmlBlocks.Quantize(type, values, bytes);
        return bytes;
    }

    [Theory]
    [InlineData(GgmlType.F32)]
    [InlineData(GgmlType.F16)]
    [InlineData(GgmlType.BF16)]
    [InlineData(GgmlType.Q8_0)]
    [InlineData(GgmlType.Q4_0)]
    [InlineData(GgmlType.Q4_1)]
    [InlineData(GgmlType.Q5_0)]
    [InlineData(GgmlType.Q4_K)]
    [InlineData(GgmlType.Q5_K)]
    [InlineData(GgmlType.Q6_K)]
    [InlineData(GgmlType.Q2_K)]
    [InlineData(GgmlType.Q3_K)]
    public void ABlockWithANonFiniteScaleIsFoundAndOrdinaryDataPasses(GgmlType type)
    {
        var values = Enumerable.Range(0, 512).Select(i => MathF.Sin(i) * 0.1f).ToArray();
        var good = Encode(type, values);
        Assert.True(GgmlBlocks.AllFinite(type, good));
        // A float16 NaN where the second block keeps its scale (the element itself for the float types).
        int scaleAt = type switch { GgmlType.Q2_K => 80, GgmlType.Q3_K => 108, GgmlType.Q6_K => 208, _ => 0 };
        int at = type.BlockBytes() * (type.BlockSize() == 1 ? 300 : 1) + scaleAt;
        var bad = (byte[])good.Clone();
        if (type == GgmlType.F32) BitConverter.TryWriteBytes(bad.AsSpan(at), float.NaN);
        else BitConverter.TryWriteBytes(bad.AsSpan(at), (ushort)(type == GgmlType.BF16 ? 0x7FC0 : 0x7E00));
        Assert.False(GgmlBlocks.AllFinite(type, bad), $"{type.Name()}: a NaN at byte {at} was not found");
    }

    [Fact]
    public void AGgufTensorHoldingNaNIsReportedByTheFile()
    {
        using var folder = new TestFolder();
        string path = folder.File("nan.gguf");
        var values = Enumerable.Range(0, 64).Select(i => (float)i).ToArray();
        var poisoned = (float[])values.Clone();
        poisoned[40] = float.PositiveInfinity;
        new GgufWriter()
            .Add("general.architecture", "llama")
            .AddTensor("good", [2, 32], GgmlType.F16, () => Encode(GgmlType.F16, values))
            .AddTensor("bad", [2, 32], GgmlType.F16, () => Encode(GgmlType.F16, poisoned))
            .Save(path);
        using var file = GgufFile.Open(path);
        Assert.True(file.AllFinite("good"));
        Assert.False(file.AllFinite("bad"));
    }
}
