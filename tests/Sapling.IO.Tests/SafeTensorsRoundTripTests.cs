using System.Buffers.Binary;
using System.Text;
using static Sapling.IO.Tests.TensorFactory;

namespace Sapling.IO.Tests;

public class SafeTensorsRoundTripTests
{
    /// <summary>
    /// A matrix, a scalar (shape []), and two empty tensors (a zero dimension) of each element dtype; ggml's block
    /// types have no safetensors dtype (they travel in GGUF files).
    /// </summary>
    public static TheoryData<DType> AllDTypes => new(Enum.GetValues<DType>().Where(d => !d.IsBlockQuantized()));

    private static Dictionary<string, Tensor> Sample(DType dtype) => dtype switch
    {
        DType.Float32 => Set(Make(new[] { 1.5f, -0f, float.NaN, float.PositiveInfinity, 1e-40f, -3f }, 2, 3), Make(new[] { 7.25f }), Make(Array.Empty<float>(), 0), Make(Array.Empty<float>(), 2, 0, 3)),
        DType.Float64 => Set(Make(new[] { 0.1, -0.0, double.NaN, double.NegativeInfinity, 1e-310, 1 + 1e-15 }, 2, 3), Make(new[] { Math.PI }), Make(Array.Empty<double>(), 0), Make(Array.Empty<double>(), 2, 0, 3)),
        DType.BFloat16 => Set(BFloat16(new[] { 1f, 1f / 3, -2.5f, 1e30f, -0f, 100f }, 2, 3), BFloat16(new[] { 0.1f }), BFloat16([], 0), BFloat16([], 2, 0, 3)),
        DType.Float16 => Set(Make(new[] { (Half)1.5f, (Half)(-0f), Half.NaN, Half.PositiveInfinity, (Half)6e-8f, (Half)65504f }, 2, 3), Make(new[] { (Half)0.1f }), Make(Array.Empty<Half>(), 0), Make(Array.Empty<Half>(), 2, 0, 3)),
        DType.Int8 => Set(Make(new sbyte[] { -128, -1, 0, 1, 2, 127 }, 2, 3), Make(new sbyte[] { -5 }), Make(Array.Empty<sbyte>(), 0), Make(Array.Empty<sbyte>(), 2, 0, 3)),
        DType.Int32 => Set(Make(new[] { int.MinValue, -1, 0, 1, 2, int.MaxValue }, 2, 3), Make(new[] { 123456 }), Make(Array.Empty<int>(), 0), Make(Array.Empty<int>(), 2, 0, 3)),
        DType.Int64 => Set(Make(new[] { long.MinValue, -1L, 0L, 1L, (1L << 53) + 1, long.MaxValue }, 2, 3), Make(new[] { -42L }), Make(Array.Empty<long>(), 0), Make(Array.Empty<long>(), 2, 0, 3)),
        DType.Bool => Set(Make(new[] { true, false, false, true, true, false }, 2, 3), Make(new[] { true }), Make(Array.Empty<bool>(), 0), Make(Array.Empty<bool>(), 2, 0, 3)),
        _ => throw new ArgumentException(dtype.ToString()),
    };

    private static Dictionary<string, Tensor> Set(Tensor matrix, Tensor scalar, Tensor empty, Tensor empty3d) => new()
    {
        ["matrix"] = matrix,
        ["scalar"] = scalar,
        ["empty"] = empty,
        ["empty.3d"] = empty3d,
    };

    [Theory]
    [MemberData(nameof(AllDTypes))]
    public void EveryDTypeRoundTripsWithScalarsAndEmptyTensors(DType dtype)
    {
        using var folder = new TestFolder();
        string path = folder.File("t.safetensors");
        var tensors = Sample(dtype);
        SafeTensors.Save(path, tensors);

        using var file = SafeTensorsFile.Open(path);
        Assert.Equal(tensors.Keys.Order(StringComparer.Ordinal), file.Names.Order(StringComparer.Ordinal));
        foreach (var (name, expected) in tensors)
        {
            using var loaded = file.Load(name);
            AssertSame(expected, loaded);
        }
        Assert.Empty(file.Info("scalar").Shape);
        Assert.Equal(1, file.Info("scalar").NumEl);
        Assert.Equal(0, file.Info("empty.3d").ByteLength);
    }

    [Fact]
    public void BlockQuantisedTensorsAreRefusedByNameNotWrittenHalfway()
    {
        using var folder = new TestFolder();
        string path = folder.File("q.safetensors");
        using var q = Tensor.FromStorage(new Sapling.Memory.NativeStorage(DType.Q8_0, 64), 2, 32);
        var e = Assert.Throws<NotSupportedException>(() => SafeTensors.Save(path, new Dictionary<string, Tensor> { ["w"] = q }));
        Assert.Contains("q8_0", e.Message);
        Assert.Contains("GGUF", e.Message);
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void AllDTypesTogetherRoundTripThroughLoadAll()
    {
        using var folder = new TestFolder();
        string path = folder.File("all.safetensors");
        var tensors = new Dictionary<string, Tensor>();
        foreach (var dtype in Enum.GetValues<DType>().Where(d => !d.IsBlockQuantized()))
            foreach (var (name, t) in Sample(dtype)) tensors[$"{dtype}.{name}"] = t;
        SafeTensors.Save(path, tensors);

        var loaded = SafeTensors.LoadAll(path);
        Assert.Equal(tensors.Count, loaded.Count);
        foreach (var (name, expected) in tensors) AssertSame(expected, loaded[name]);
    }

    [Fact]
    public void MetadataRoundTrips()
    {
        using var folder = new TestFolder();
        string path = folder.File("m.safetensors");
        var metadata = new Dictionary<string, string> { ["format"] = "pt", ["note"] = "π ≈ 3.14, \"quoted\"\nnew line", ["empty"] = "" };
        SafeTensors.Save(path, new Dictionary<string, Tensor> { ["w"] = Make(new[] { 1f }, 1) }, metadata);

        using var file = SafeTensorsFile.Open(path);
        Assert.Equal(metadata.OrderBy(p => p.Key, StringComparer.Ordinal), file.Metadata.OrderBy(p => p.Key, StringComparer.Ordinal));
    }

    [Fact]
    public void NoMetadataReadsAsEmptyAndIsNotWritten()
    {
        using var folder = new TestFolder();
        string path = folder.File("m.safetensors");
        SafeTensors.Save(path, new Dictionary<string, Tensor>(), metadata: new Dictionary<string, string>());

        // Hugging Face writes an empty dictionary as "{}" padded to 8 bytes.
        Assert.Equal([8, 0, 0, 0, 0, 0, 0, 0, (byte)'{', (byte)'}', 32, 32, 32, 32, 32, 32], File.ReadAllBytes(path));
        using var file = SafeTensorsFile.Open(path);
        Assert.Empty(file.Metadata);
        Assert.Empty(file.Names);
    }

    [Fact]
    public void NonContiguousTensorsAreWrittenRowMajor()
    {
        using var folder = new TestFolder();
        string path = folder.File("views.safetensors");
        var matrix = Make(new[] { 1f, 2f, 3f, 4f, 5f, 6f }, 2, 3);
        var transposed = matrix.Transpose(0, 1);
        var longs = Make(new long[] { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11 }, 3, 4);
        var column = longs.Narrow(1, 1, 2);
        var bf16 = BFloat16(new[] { 1f, 2f, 3f, 4f, 5f, 6f }, 2, 3).Transpose(0, 1);
        Assert.False(transposed.IsContiguous);
        Assert.False(column.IsContiguous);

        SafeTensors.Save(path, new Dictionary<string, Tensor> { ["t"] = transposed, ["narrow"] = column, ["bf16.t"] = bf16 });

        using var file = SafeTensorsFile.Open(path);
        using var t = file.Load("t");
        Assert.Equal([3, 2], t.Shape);
        Assert.Equal([1f, 4f, 2f, 5f, 3f, 6f], t.ToArray<float>());
        using var n = file.Load("narrow");
        Assert.Equal([3, 2], n.Shape);
        Assert.Equal([1L, 2L, 5L, 6L, 9L, 10L], n.ToArray<long>());
        using var b = file.Load("bf16.t", DType.Float32);
        Assert.Equal([1f, 4f, 2f, 5f, 3f, 6f], b.ToArray<float>());
    }

    [Fact]
    public void LayoutFollowsHuggingFace_DTypeAlignmentThenNameAndAlignedData()
    {
        using var folder = new TestFolder();
        string path = folder.File("layout.safetensors");
        SafeTensors.Save(path, new Dictionary<string, Tensor>
        {
            ["b.mask"] = Make(new[] { true }, 1),
            ["a.mask"] = Make(new[] { false, true }, 2),
            ["z.f32"] = Make(new[] { 1f }, 1),
            ["y.i64"] = Make(new[] { 1L }, 1),
            ["x.bf16"] = BFloat16(new[] { 1f }, 1),
            ["c.f32"] = Make(new[] { 2f, 3f }, 2),
        });

        byte[] bytes = File.ReadAllBytes(path);
        long n = (long)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal(0, (8 + n) % 8);
        string header = Encoding.UTF8.GetString(bytes, 8, (int)n);
        Assert.StartsWith("{\"y.i64\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]},", header);
        Assert.Equal(header.TrimEnd(' ').Length, header.LastIndexOf('}') + 1);

        using var file = SafeTensorsFile.Open(path);
        Assert.Equal(["y.i64", "c.f32", "z.f32", "x.bf16", "a.mask", "b.mask"], file.Names);
        var info = file.Info("c.f32");
        Assert.Equal(("c.f32", "F32", 8L, 16L, 8L), (info.Name, info.DType, info.Begin, info.End, info.ByteLength));
        Assert.Equal([2L], info.Shape);
    }

    [Fact]
    public void LoadWithDTypeConverts()
    {
        using var folder = new TestFolder();
        string path = folder.File("conv.safetensors");
        SafeTensors.Save(path, new Dictionary<string, Tensor>
        {
            ["bf16"] = BFloat16(new[] { 1.5f, -2f }, 2),
            ["i32"] = Make(new[] { 3, -4 }, 2),
            ["f32"] = Make(new[] { 0.1f, 2f }, 2),
            ["empty"] = BFloat16([], 2, 0, 3),
        });

        using var file = SafeTensorsFile.Open(path);
        using var a = file.Load("bf16", DType.Float32);
        Assert.Equal(DType.Float32, a.DType);
        Assert.Equal([1.5f, -2f], a.ToArray<float>());
        using var b = file.Load("i32", DType.Float32);
        Assert.Equal([3f, -4f], b.ToArray<float>());
        using var c = file.Load("f32", DType.BFloat16);
        Assert.Equal(DType.BFloat16, c.DType);
        using var d = file.Load("empty", DType.Float32);
        Assert.Equal((DType.Float32, 0), (d.DType, d.NumEl));
        Assert.Equal([2, 0, 3], d.Shape);
        var all = SafeTensors.LoadAll(path, DType.Float32);
        Assert.All(all.Values, t => Assert.Equal(DType.Float32, t.DType));
    }

    [Fact]
    public void LoadedTensorsOutliveTheFile()
    {
        using var folder = new TestFolder();
        string path = folder.File("own.safetensors");
        SafeTensors.Save(path, new Dictionary<string, Tensor> { ["w"] = Make(new[] { 1f, 2f }, 2) });
        Tensor loaded;
        using (var file = SafeTensorsFile.Open(path)) loaded = file.Load("w");
        Assert.Equal([1f, 2f], loaded.ToArray<float>());
    }

    [Fact]
    public void MissingNameAndDisposedFileGiveClearErrors()
    {
        using var folder = new TestFolder();
        string path = folder.File("names.safetensors");
        SafeTensors.Save(path, new Dictionary<string, Tensor> { ["encoder.weight"] = Make(new[] { 1f }, 1) });

        var file = SafeTensorsFile.Open(path);
        var missing = Assert.Throws<KeyNotFoundException>(() => file.Load("decoder.weight"));
        Assert.Contains("names.safetensors", missing.Message);
        Assert.Contains("'decoder.weight'", missing.Message);
        Assert.Contains("'encoder.weight'", missing.Message);
        file.Dispose();
        Assert.Throws<ObjectDisposedException>(() => file.Load("encoder.weight"));
    }

    [Fact]
    public void SaveRejectsTheReservedMetadataName()
    {
        using var folder = new TestFolder();
        var e = Assert.Throws<ArgumentException>(() => SafeTensors.Save(folder.File("x.safetensors"), new Dictionary<string, Tensor> { ["__metadata__"] = Make(new[] { 1f }, 1) }));
        Assert.Contains("reserved", e.Message);
        Assert.Empty(folder.Entries());
    }
}
