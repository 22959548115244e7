using System.Buffers.Binary;
using Sapling.IO.Gguf;
using Sapling.Memory;
using Sapling.Quantization.Ggml;

namespace Sapling.IO.Tests.Gguf;

/// <summary>
/// GGUF files written by <see cref="GgufWriter"/> and by hand read back exactly: metadata values and their stored
/// types, tensor shapes in Sapling order, bytes in place, decoded floats, alignment; typed getters; writer refusals.
/// </summary>
public class GgufFileTests
{
    /// <summary>Deterministic floats with varied signs and magnitudes (so every quantiser has scales and mins to find).</summary>
    private static float[] Values(int n, int seed)
    {
        var v = new float[n];
        for (int i = 0; i < n; i++) v[i] = MathF.Sin(i * 0.37f + seed) * (1 + (i % 7) * 0.5f) + (i % 5 == 0 ? 0.25f * seed : 0);
        return v;
    }

    private static byte[] Encode(GgmlType type, float[] values)
    {
        var bytes = new byte[type.ByteCount(values.Length)];
        GgmlBlocks.Quantize(type, values, bytes);
        return bytes;
    }

    private static float[] Decode(GgmlType type, byte[] bytes, int elements)
    {
        var values = new float[elements];
        GgmlBlocks.Dequantize(type, bytes, values);
        return values;
    }

    /// <summary>The bytes a tensor's storage holds (mapped or native), as its dtype lays them out.</summary>
    private static unsafe byte[] StoredBytes(Tensor t)
    {
        using var pin = t.Storage.Pin();
        return new ReadOnlySpan<byte>((byte*)pin.Pointer + 0, checked((int)t.DType.StorageBytes(t.NumEl))).ToArray();
    }

    private static readonly (string Name, int[] Shape, GgmlType Type)[] RoundTripTensors =
    [
        ("f32.vec", [5], GgmlType.F32),
        ("f16.mat", [2, 3], GgmlType.F16),
        ("bf16.mat", [4, 2], GgmlType.BF16),
        ("q8_0.mat", [3, 64], GgmlType.Q8_0),
        ("q4_0.mat", [2, 32], GgmlType.Q4_0),
        ("q4_k.mat", [3, 256], GgmlType.Q4_K),
        ("q6_k.vec", [256], GgmlType.Q6_K),
        ("q6_k.mat", [2, 512], GgmlType.Q6_K),
    ];

    [Fact]
    public void WriterRoundTripsMetadataAndTensorsOfEveryType()
    {
        using var folder = new TestFolder();
        string path = folder.File("model.gguf");
        var written = new Dictionary<string, byte[]>();
        var calls = new Dictionary<string, int>();
        var writer = new GgufWriter()
            .Add("general.architecture", "llama")
            .Add("general.name", "tiny ünïcödé 模型")
            .Add("llama.block_count", 7u)
            .Add("llama.offset", -3)
            .Add("llama.rope.freq_base", 0.5f)
            .Add("llama.norm_eps", 1e-5f)
            .Add("tokenizer.ggml.add_bos_token", true)
            .Add("tokenizer.ggml.add_eos_token", false)
            .Add("tokenizer.ggml.tokens", new[] { "<s>", "", "héllo", "▁the" })
            .Add("tokenizer.ggml.scores", new[] { 1.5f, -2.25f, 0f })
            .Add("tokenizer.ggml.token_type", new[] { 3, -1, int.MaxValue, int.MinValue })
            .Add("empty.strings", Array.Empty<string>());
        int seed = 0;
        foreach (var (name, shape, type) in RoundTripTensors)
        {
            var bytes = Encode(type, Values(shape.Aggregate(1, (a, b) => a * b), ++seed));
            written[name] = bytes;
            calls[name] = 0;
            writer.AddTensor(name, shape, type, () =>
            {
                calls[name]++;
                return bytes;
            });
        }
        writer.Save(path);
        Assert.All(calls.Values, n => Assert.Equal(1, n));
        Assert.Equal(["model.gguf"], folder.Entries());

        using var file = GgufFile.Open(path);
        Assert.Equal(3u, file.Version);
        Assert.Equal(Path.GetFullPath(path), file.Path);
        Assert.Equal(GgufFile.DefaultAlignment, file.Alignment);

        // Metadata: file order, stored types, values widened to long / double.
        Assert.Equal(
            ["general.architecture", "general.name", "llama.block_count", "llama.offset", "llama.rope.freq_base", "llama.norm_eps",
             "tokenizer.ggml.add_bos_token", "tokenizer.ggml.add_eos_token", "tokenizer.ggml.tokens", "tokenizer.ggml.scores",
             "tokenizer.ggml.token_type", "empty.strings"],
            file.MetadataKeys);
        Assert.False(file.Has("general.alignment"));
        Assert.Equal("llama", file.Metadata["general.architecture"]);
        Assert.Equal("tiny ünïcödé 模型", file.Metadata["general.name"]);
        Assert.Equal(GgufValueType.String, file.MetadataTypes["general.name"]);
        Assert.Equal(7L, file.Metadata["llama.block_count"]);
        Assert.Equal(GgufValueType.UInt32, file.MetadataTypes["llama.block_count"]);
        Assert.Equal(-3L, file.Metadata["llama.offset"]);
        Assert.Equal(GgufValueType.Int32, file.MetadataTypes["llama.offset"]);
        Assert.Equal(0.5, file.Metadata["llama.rope.freq_base"]);
        Assert.Equal((double)1e-5f, file.Metadata["llama.norm_eps"]);
        Assert.Equal(GgufValueType.Float32, file.MetadataTypes["llama.norm_eps"]);
        Assert.True(Assert.IsType<bool>(file.Metadata["tokenizer.ggml.add_bos_token"]));
        Assert.False(Assert.IsType<bool>(file.Metadata["tokenizer.ggml.add_eos_token"]));
        Assert.Equal(GgufValueType.Bool, file.MetadataTypes["tokenizer.ggml.add_eos_token"]);

        var tokens = Assert.IsType<GgufArray>(file.Metadata["tokenizer.ggml.tokens"]);
        Assert.Equal(GgufValueType.Array, file.MetadataTypes["tokenizer.ggml.tokens"]);
        Assert.Equal(GgufValueType.String, tokens.ElementType);
        Assert.Equal(new[] { "<s>", "", "héllo", "▁the" }, Assert.IsType<string[]>(tokens.Values));
        Assert.Equal(4, tokens.Count);
        var scores = Assert.IsType<GgufArray>(file.Metadata["tokenizer.ggml.scores"]);
        Assert.Equal(GgufValueType.Float32, scores.ElementType);
        Assert.Equal(new[] { 1.5, -2.25, 0 }, Assert.IsType<double[]>(scores.Values));
        var types = Assert.IsType<GgufArray>(file.Metadata["tokenizer.ggml.token_type"]);
        Assert.Equal(GgufValueType.Int32, types.ElementType);
        Assert.Equal(new long[] { 3, -1, int.MaxValue, int.MinValue }, Assert.IsType<long[]>(types.Values));
        var empty = Assert.IsType<GgufArray>(file.Metadata["empty.strings"]);
        Assert.Empty(empty.Values);
        Assert.IsType<string[]>(empty.Values);

        // Tensors: file order, Sapling shapes, aligned non-overlapping offsets, bytes as written.
        Assert.Equal(RoundTripTensors.Select(t => t.Name), file.Tensors.Select(t => t.Name));
        Assert.Equal(0, file.DataOffset % file.Alignment);
        long end = 0;
        foreach (var (name, shape, type) in RoundTripTensors)
        {
            var info = file.Info(name);
            int n = shape.Aggregate(1, (a, b) => a * b);
            Assert.True(file.Contains(name));
            Assert.Equal(shape, info.Shape);
            Assert.Equal(type, info.Type);
            Assert.Equal(n, info.ElementCount);
            Assert.Equal(type.ByteCount(n), info.ByteCount);
            Assert.Equal(0, info.Offset % file.Alignment);
            Assert.True(info.Offset >= end, $"'{name}' at {info.Offset} overlaps the tensor before it (ending at {end})");
            end = info.Offset + info.ByteCount;

            Assert.Equal(written[name], file.Bytes(name).ToArray());

            using (var mapped = file.Map(name))
            {
                Assert.Equal(type.ToDType(), mapped.DType);
                Assert.Equal(shape, mapped.Shape);
                Assert.Equal(StorageKind.Mapped, mapped.StorageKind);
                Assert.Equal(written[name], StoredBytes(mapped));
            }
            using (var inMemory = GgufFile.Open(file.Path, inMemory: true))
            using (var resident = inMemory.Map(name))
            {
                Assert.True(inMemory.InMemory);
                Assert.Equal(type.ToDType(), resident.DType);
                Assert.Equal(shape, resident.Shape);
                Assert.Equal(written[name], StoredBytes(resident));
            }
            using (var loaded = file.Load(name))
            {
                Assert.Equal(DType.Float32, loaded.DType);
                Assert.Equal(shape, loaded.Shape);
                Assert.Equal(Decode(type, written[name], n), loaded.ToArray());
            }
        }
        Assert.True(file.DataOffset + end <= new FileInfo(path).Length);

        // The raw file agrees with the reader about where each tensor is.
        byte[] raw = File.ReadAllBytes(path);
        Assert.Equal(GgufFile.Magic, BinaryPrimitives.ReadUInt32LittleEndian(raw));
        foreach (var info in file.Tensors)
            Assert.Equal(written[info.Name], raw.AsSpan((int)(file.DataOffset + info.Offset), (int)info.ByteCount).ToArray());
    }

    [Fact]
    public void Float32TensorsLoadTheWrittenFloatsExactlyInRowMajorOrder()
    {
        using var folder = new TestFolder();
        string path = folder.File("f32.gguf");
        float[] values = [1, 2, 3, 4, 5, 6];
        new GgufWriter().AddTensor("w", [2, 3], GgmlType.F32, () => Encode(GgmlType.F32, values)).Save(path);

        using var file = GgufFile.Open(path);
        using var w = file.Load("w");
        Assert.Equal(values, w.ToArray());
        Assert.Equal(4f, w[1, 0]);
        Assert.Equal(3f, w[0, 2]);

        // The file lists dimensions innermost first: 3, then 2.
        byte[] raw = File.ReadAllBytes(path);
        int dims = 24 + 8 + 1;  // header, then the name "w"
        Assert.Equal(2u, BinaryPrimitives.ReadUInt32LittleEndian(raw.AsSpan(dims)));
        Assert.Equal(3ul, BinaryPrimitives.ReadUInt64LittleEndian(raw.AsSpan(dims + 4)));
        Assert.Equal(2ul, BinaryPrimitives.ReadUInt64LittleEndian(raw.AsSpan(dims + 12)));
        Assert.Equal((uint)GgmlType.F32, BinaryPrimitives.ReadUInt32LittleEndian(raw.AsSpan(dims + 20)));
    }

    [Fact]
    public void NonDefaultAlignmentIsWrittenAsMetadataAndHonoured()
    {
        using var folder = new TestFolder();
        string path = folder.File("aligned.gguf");
        var q8 = Encode(GgmlType.Q8_0, Values(32, 3));
        new GgufWriter { Alignment = 64 }
            .Add("general.architecture", "llama")
            .AddTensor("a", [3], GgmlType.F32, () => Encode(GgmlType.F32, [1, 2, 3]))   // 12 bytes
            .AddTensor("b", [5], GgmlType.F16, () => Encode(GgmlType.F16, [1, 2, 3, 4, 5]))  // 10 bytes
            .AddTensor("c", [1, 32], GgmlType.Q8_0, () => q8)  // 34 bytes
            .Save(path);

        using var file = GgufFile.Open(path);
        Assert.Equal(64, file.Alignment);
        Assert.Equal(["general.architecture", "general.alignment"], file.MetadataKeys);
        Assert.Equal(64L, file.GetInteger("general.alignment"));
        Assert.Equal(GgufValueType.UInt32, file.MetadataTypes["general.alignment"]);
        Assert.Equal(0, file.DataOffset % 64);
        Assert.Equal([0L, 64L, 128L], file.Tensors.Select(t => t.Offset));

        // Padding is zeros, and the file ends on a whole number of alignment units.
        byte[] raw = File.ReadAllBytes(path);
        Assert.Equal(0, raw.Length % 64);
        Assert.All(raw.AsSpan((int)file.DataOffset + 12, 64 - 12).ToArray(), b => Assert.Equal(0, b));
        Assert.All(raw.AsSpan((int)file.DataOffset + 64 + 10, 64 - 10).ToArray(), b => Assert.Equal(0, b));

        using var a = file.Load("a");
        Assert.Equal([1f, 2f, 3f], a.ToArray());
        using var b = file.Load("b");
        Assert.Equal([1f, 2f, 3f, 4f, 5f], b.ToArray());
        using var c = file.Load("c");
        Assert.Equal(Decode(GgmlType.Q8_0, q8, 32), c.ToArray());
        using var cm = file.Map("c");
        Assert.Equal(DType.Q8_0, cm.DType);
        Assert.Equal([1, 32], cm.Shape);
    }

    [Fact]
    public void ExplicitAlignmentKeyThatMatchesTheWriterIsWrittenOnce()
    {
        using var folder = new TestFolder();
        string path = folder.File("explicit.gguf");
        new GgufWriter { Alignment = 64 }
            .Add("general.alignment", 64u)
            .AddTensor("a", [3], GgmlType.F32, () => new byte[12])
            .AddTensor("b", [3], GgmlType.F32, () => new byte[12])
            .Save(path);

        using var file = GgufFile.Open(path);
        Assert.Equal(["general.alignment"], file.MetadataKeys);
        Assert.Equal(64, file.Alignment);
        Assert.Equal([0L, 64L], file.Tensors.Select(t => t.Offset));
    }

    [Fact]
    public void ExplicitAlignmentKeyThatDisagreesWithTheWriterIsRefused()
    {
        // The key would tell readers 64 while the data is padded to 32: a file no reader can open.
        using var folder = new TestFolder();
        string path = folder.File("mismatch.gguf");
        var writer = new GgufWriter()
            .Add("general.alignment", 64u)
            .AddTensor("a", [3], GgmlType.F32, () => new byte[12])
            .AddTensor("b", [3], GgmlType.F32, () => new byte[12]);
        var e = Assert.ThrowsAny<ArgumentException>(() => writer.Save(path));
        Assert.Contains("general.alignment", e.Message);
        Assert.Empty(folder.Entries());
    }

    [Fact]
    public void ExplicitAlignmentKeyThatIsNotAnIntegerIsRefused()
    {
        using var folder = new TestFolder();
        var writer = new GgufWriter().Add("general.alignment", "32");
        var e = Assert.ThrowsAny<ArgumentException>(() => writer.Save(folder.File("string-alignment.gguf")));
        Assert.Contains("general.alignment", e.Message);
        Assert.Empty(folder.Entries());

        // As an int32 equal to the alignment it is fine (readers take any integer type).
        string path = folder.File("int-alignment.gguf");
        new GgufWriter().Add("general.alignment", 32).AddTensor("w", [3], GgmlType.F32, () => new byte[12]).Save(path);
        using var file = GgufFile.Open(path);
        Assert.Equal(32, file.Alignment);
        Assert.Equal(GgufValueType.Int32, file.MetadataTypes["general.alignment"]);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-32)]
    [InlineData(48)]
    [InlineData(1 << 21)]
    public void WriterRefusesAnAlignmentReadersRefuse(int alignment)
    {
        var e = Assert.ThrowsAny<ArgumentException>(() => new GgufWriter { Alignment = alignment });
        Assert.Contains(alignment.ToString(), e.Message);
    }

    /// <summary>
    /// A version-2 file written field by field: every scalar type, arrays of several element types, and two tensors
    /// whose dimensions are listed innermost first.
    /// </summary>
    internal static byte[] HandBuiltVersion2File() => new GgufBytes()
        .Header(tensors: 2, metadata: 15, version: 2)
        .Key("general.name", GgufValueType.String).Str("hand-built")
        .Key("u64", GgufValueType.UInt64).U64(1UL << 40)
        .Key("i64", GgufValueType.Int64).I64(-5_000_000_000)
        .Key("u8", GgufValueType.UInt8).U8(200)
        .Key("i8", GgufValueType.Int8).U8(0xFE)
        .Key("u16", GgufValueType.UInt16).U16(65535)
        .Key("i16", GgufValueType.Int16).I16(-300)
        .Key("f64", GgufValueType.Float64).F64(Math.PI)
        .Key("f32", GgufValueType.Float32).F32(0.1f)
        .Key("flag", GgufValueType.Bool).U8(0)
        .ArrayKey("bools", GgufValueType.Bool, 3).U8(1).U8(0).U8(1)
        .ArrayKey("u8s", GgufValueType.UInt8, 2).U8(7).U8(255)
        .ArrayKey("f64s", GgufValueType.Float64, 2).F64(1.25).F64(-0.5)
        .ArrayKey("i64s", GgufValueType.Int64, 1).I64(long.MinValue)
        .ArrayKey("none", GgufValueType.String, 0)
        .Tensor("w", [3, 2], GgmlType.F32, 0)
        .Tensor("h", [4], GgmlType.F16, 32)
        .Align()
        .F32(1).F32(2).F32(3).F32(4).F32(5).F32(6).Zeros(8)
        .U16(0x3C00).U16(0xC000).U16(0x3800).U16(0x0000)
        .ToArray();

    [Fact]
    public void HandBuiltVersion2FileIsReadFieldByField()
    {
        using var folder = new TestFolder();
        string path = folder.File("v2.gguf");
        File.WriteAllBytes(path, HandBuiltVersion2File());

        using var file = GgufFile.Open(path);
        Assert.Equal(2u, file.Version);
        Assert.Equal(15, file.MetadataKeys.Count);
        Assert.Equal("hand-built", file.GetString("general.name"));
        Assert.Equal(1L << 40, file.Metadata["u64"]);
        Assert.Equal(GgufValueType.UInt64, file.MetadataTypes["u64"]);
        Assert.Equal(-5_000_000_000L, file.Metadata["i64"]);
        Assert.Equal(GgufValueType.Int64, file.MetadataTypes["i64"]);
        Assert.Equal(200L, file.Metadata["u8"]);
        Assert.Equal(GgufValueType.UInt8, file.MetadataTypes["u8"]);
        Assert.Equal(-2L, file.Metadata["i8"]);
        Assert.Equal(65535L, file.Metadata["u16"]);
        Assert.Equal(-300L, file.Metadata["i16"]);
        Assert.Equal(GgufValueType.Int16, file.MetadataTypes["i16"]);
        Assert.Equal(Math.PI, file.Metadata["f64"]);
        Assert.Equal(GgufValueType.Float64, file.MetadataTypes["f64"]);
        Assert.Equal((double)0.1f, file.Metadata["f32"]);
        Assert.False(Assert.IsType<bool>(file.Metadata["flag"]));

        var bools = Assert.IsType<GgufArray>(file.Metadata["bools"]);
        Assert.Equal(GgufValueType.Bool, bools.ElementType);
        Assert.Equal(new[] { true, false, true }, Assert.IsType<bool[]>(bools.Values));
        var u8s = Assert.IsType<GgufArray>(file.Metadata["u8s"]);
        Assert.Equal(GgufValueType.UInt8, u8s.ElementType);
        Assert.Equal(new long[] { 7, 255 }, Assert.IsType<long[]>(u8s.Values));
        Assert.Equal(new[] { 1.25, -0.5 }, Assert.IsType<double[]>(file.GetArrayOrNull("f64s")!.Values));
        Assert.Equal(new[] { long.MinValue }, Assert.IsType<long[]>(file.GetArrayOrNull("i64s")!.Values));
        Assert.Equal(Array.Empty<string>(), file.GetStringArrayOrNull("none"));

        Assert.Equal(32, file.Alignment);
        Assert.Equal(0, file.DataOffset % 32);
        var w = file.Info("w");
        Assert.Equal([2, 3], w.Shape);
        Assert.Equal(GgmlType.F32, w.Type);
        Assert.Equal(0, w.Offset);
        Assert.Equal(24, w.ByteCount);
        using (var t = file.Load("w"))
        {
            Assert.Equal([2, 3], t.Shape);
            Assert.Equal([1f, 2f, 3f, 4f, 5f, 6f], t.ToArray());
            Assert.Equal(4f, t[1, 0]);
        }
        var h = file.Info("h");
        Assert.Equal([4], h.Shape);
        Assert.Equal(32, h.Offset);
        using (var t = file.Load("h"))
            Assert.Equal([1f, -2f, 0.5f, 0f], t.ToArray());
        using (var t = file.Map("h"))
            Assert.Equal(DType.Float16, t.DType);
    }

    [Fact]
    public void HandBuiltFileWithSmallAlignmentPutsTheDataSectionOnIt()
    {
        // general.alignment = 8: the data section starts at the first multiple of 8 after the tensor table, not of 32.
        var bytes = new GgufBytes()
            .Header(tensors: 2, metadata: 1)
            .Key("general.alignment", GgufValueType.UInt32).U32(8)
            .Tensor("a", [2], GgmlType.F32, 0)
            .Tensor("b", [1, 3], GgmlType.F32, 8);
        long tableEnd = bytes.Length;
        bytes.Align(8).F32(1.5f).F32(-1.5f).F32(7).F32(8).F32(9);
        Assert.NotEqual(0, tableEnd % 32);  // otherwise this test could not tell 8 from 32

        using var folder = new TestFolder();
        string path = folder.File("align8.gguf");
        File.WriteAllBytes(path, bytes.ToArray());
        using var file = GgufFile.Open(path);
        Assert.Equal(8, file.Alignment);
        Assert.Equal((tableEnd + 7) / 8 * 8, file.DataOffset);
        using var a = file.Load("a");
        Assert.Equal([1.5f, -1.5f], a.ToArray());
        using var b = file.Load("b");
        Assert.Equal([3, 1], b.Shape);
        Assert.Equal([7f, 8f, 9f], b.ToArray());
    }

    [Fact]
    public void FileWithNoTensorsAndNoMetadataOpens()
    {
        using var folder = new TestFolder();
        string path = folder.File("empty.gguf");
        File.WriteAllBytes(path, new GgufBytes().Header(0, 0).ToArray());
        using var file = GgufFile.Open(path);
        Assert.Equal(3u, file.Version);
        Assert.Empty(file.Tensors);
        Assert.Empty(file.MetadataKeys);
        Assert.False(file.Contains("w"));

        // And the writer's empty file is the same 24 bytes plus padding to the alignment.
        string written = folder.File("written.gguf");
        new GgufWriter().Save(written);
        using var again = GgufFile.Open(written);
        Assert.Empty(again.Tensors);
        Assert.Equal(32, new FileInfo(written).Length);
    }

    [Fact]
    public void MappedTensorOutlivesTheFileObject()
    {
        using var folder = new TestFolder();
        string path = folder.File("keep.gguf");
        var q = Encode(GgmlType.Q4_0, Values(64, 9));
        new GgufWriter().AddTensor("q", [2, 32], GgmlType.Q4_0, () => q).Save(path);

        Tensor mapped;
        using (var file = GgufFile.Open(path))
        {
            mapped = file.Map("q");
            Assert.Throws<KeyNotFoundException>(() => file.Info("nope"));
            Assert.Throws<KeyNotFoundException>(() => file.Load("nope"));
        }
        using (mapped)
        {
            Assert.Equal(DType.Q4_0, mapped.DType);
            Assert.Equal(q, StoredBytes(mapped));
        }
    }

    [Fact]
    public void DisposedFileRefusesToReadTensors()
    {
        using var folder = new TestFolder();
        string path = folder.File("gone.gguf");
        new GgufWriter().AddTensor("w", [2], GgmlType.F32, () => new byte[8]).Save(path);
        var file = GgufFile.Open(path);
        file.Dispose();
        file.Dispose();
        Assert.Throws<ObjectDisposedException>(() => file.Load("w"));
        Assert.Throws<ObjectDisposedException>(() => file.Map("w"));
        Assert.Throws<ObjectDisposedException>(() => file.ReorderRows("w", r => r));
        Assert.Throws<ObjectDisposedException>(() => file.Bytes("w").Length);
    }

    // ---- typed getters ----

    private static GgufFile OpenTyped(TestFolder folder)
    {
        string path = folder.File("typed.gguf");
        new GgufWriter()
            .Add("s", "text")
            .Add("u", 42u)
            .Add("i", -7)
            .Add("f", 2.5f)
            .Add("b", true)
            .Add("tokens", new[] { "a", "b" })
            .Add("floats", new[] { 1f })
            .Save(path);
        return GgufFile.Open(path);
    }

    [Fact]
    public void TypedGettersReturnValuesOfTheirKind()
    {
        using var folder = new TestFolder();
        using var file = OpenTyped(folder);
        Assert.Equal("text", file.GetString("s"));
        Assert.Equal("text", file.GetStringOrNull("s"));
        Assert.Null(file.GetStringOrNull("missing"));
        Assert.Equal(42L, file.GetInteger("u"));
        Assert.Equal(-7L, file.GetInteger("i"));
        Assert.Equal(-7L, file.GetIntegerOrNull("i"));
        Assert.Null(file.GetIntegerOrNull("missing"));
        Assert.Equal(2.5, file.GetFloat("f"));
        Assert.Equal(42.0, file.GetFloat("u"));   // an integer where a float is expected (rope.freq_base in some files)
        Assert.Equal(-7.0, file.GetFloatOrNull("i"));
        Assert.Null(file.GetFloatOrNull("missing"));
        Assert.True(file.GetBoolOrNull("b"));
        Assert.Null(file.GetBoolOrNull("missing"));
        Assert.Equal(["a", "b"], file.GetStringArrayOrNull("tokens")!);
        Assert.Null(file.GetStringArrayOrNull("missing"));
        Assert.Equal(GgufValueType.Float32, file.GetArrayOrNull("floats")!.ElementType);
        Assert.True(file.Has("s"));
        Assert.False(file.Has("missing"));
    }

    public static TheoryData<string, string> WrongTypeCases => new()
    {
        { "string from an integer", "holds UInt32, not a string" },
        { "integer from a string", "holds String, not an integer" },
        { "integer from a float", "holds Float32, not an integer" },
        { "float from a string", "holds String, not a number" },
        { "float from a bool", "holds Bool, not a number" },
        { "bool from an integer", "holds Int32, not a bool" },
        { "array from a string", "holds String, not an array" },
        { "string array from a float array", "holds Array, not an array of strings" },
        { "string-or-null from an array", "holds Array, not a string" },
        { "integer-or-null from a bool", "holds Bool, not an integer" },
    };

    [Theory]
    [MemberData(nameof(WrongTypeCases))]
    public void TypedGetterOfTheWrongTypeNamesTheFileTheKeyAndTheStoredType(string which, string phrase)
    {
        using var folder = new TestFolder();
        using var file = OpenTyped(folder);
        (string key, Action get) = which switch
        {
            "string from an integer" => ("u", (Action)(() => file.GetString("u"))),
            "integer from a string" => ("s", () => file.GetInteger("s")),
            "integer from a float" => ("f", () => file.GetInteger("f")),
            "float from a string" => ("s", () => file.GetFloat("s")),
            "float from a bool" => ("b", () => file.GetFloatOrNull("b")),
            "bool from an integer" => ("i", () => file.GetBoolOrNull("i")),
            "array from a string" => ("s", () => file.GetArrayOrNull("s")),
            "string array from a float array" => ("floats", () => file.GetStringArrayOrNull("floats")),
            "string-or-null from an array" => ("tokens", () => file.GetStringOrNull("tokens")),
            "integer-or-null from a bool" => ("b", () => file.GetIntegerOrNull("b")),
            _ => throw new ArgumentException(which),
        };
        var e = Assert.Throws<GgufFormatException>(get);
        Assert.Contains($"metadata key '{key}' {phrase}", e.Message);
        Assert.Contains("typed.gguf", e.Message);
    }

    [Fact]
    public void MissingKeyNamesTheKey()
    {
        using var folder = new TestFolder();
        using var file = OpenTyped(folder);
        foreach (var get in new Action[] { () => file.GetString("llama.context_length"), () => file.GetInteger("llama.context_length"), () => file.GetFloat("llama.context_length") })
        {
            var e = Assert.Throws<GgufFormatException>(get);
            Assert.Contains("metadata key 'llama.context_length' is missing", e.Message);
            Assert.Contains("typed.gguf", e.Message);
        }
    }

    // ---- writer refusals ----

    [Fact]
    public void WriterRefusesDuplicateKeysAndTensors()
    {
        var writer = new GgufWriter().Add("general.name", "x").AddTensor("w", [4], GgmlType.F32, () => new byte[16]);
        var key = Assert.Throws<ArgumentException>(() => writer.Add("general.name", 3u));
        Assert.Contains("'general.name'", key.Message);
        var tensor = Assert.Throws<ArgumentException>(() => writer.AddTensor("w", [8], GgmlType.F16, () => new byte[16]));
        Assert.Contains("'w'", tensor.Message);
    }

    [Fact]
    public void WriterRefusesRowsThatAreNotWholeBlocks()
    {
        var writer = new GgufWriter();
        var e = Assert.Throws<ArgumentException>(() => writer.AddTensor("blk.0.ffn_up.weight", [2, 33], GgmlType.Q8_0, () => new byte[68]));
        Assert.Contains("'blk.0.ffn_up.weight'", e.Message);
        Assert.Contains("q8_0", e.Message);
        Assert.Contains("33", e.Message);
        e = Assert.Throws<ArgumentException>(() => writer.AddTensor("k", [128], GgmlType.Q4_K, () => new byte[72]));
        Assert.Contains("q4_K", e.Message);
    }

    [Theory]
    [InlineData(new int[0])]
    [InlineData(new[] { 1, 1, 1, 1, 1 })]
    [InlineData(new[] { 0, 4 })]
    [InlineData(new[] { -1, 4 })]
    [InlineData(new[] { 2, -32 })]
    public void WriterRefusesShapesReadersRefuse(int[] shape)
    {
        var e = Assert.ThrowsAny<ArgumentException>(() => new GgufWriter().AddTensor("w", shape, GgmlType.F32, () => []));
        Assert.Contains("'w'", e.Message);
    }

    [Fact]
    public void WrongByteCountFailsTheSaveByNameAndLeavesThePreviousFileIntact()
    {
        using var folder = new TestFolder();
        string path = folder.File("model.gguf");
        new GgufWriter().Add("general.name", "old").AddTensor("old", [2], GgmlType.F32, () => new byte[8]).Save(path);
        byte[] before = File.ReadAllBytes(path);

        var writer = new GgufWriter()
            .Add("general.name", "new")
            .AddTensor("fine", [32], GgmlType.Q8_0, () => new byte[34])
            .AddTensor("blk.3.attn_k.weight", [2, 32], GgmlType.Q8_0, () => new byte[67]);
        var e = Assert.Throws<InvalidOperationException>(() => writer.Save(path));
        Assert.Contains("'blk.3.attn_k.weight'", e.Message);
        Assert.Contains("67 bytes given for 68 expected", e.Message);

        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal(["model.gguf"], folder.Entries());
        using var file = GgufFile.Open(path);
        Assert.Equal("old", file.GetString("general.name"));
    }

    [Fact]
    public void ThrowingProducerFailsTheSaveAndLeavesThePreviousFileIntact()
    {
        using var folder = new TestFolder();
        string path = folder.File("model.gguf");
        File.WriteAllBytes(path, [1, 2, 3]);

        var writer = new GgufWriter()
            .AddTensor("a", [4], GgmlType.F32, () => new byte[16])
            .AddTensor("b", [4], GgmlType.F32, () => throw new IOException("source checkpoint unreadable"));
        var e = Assert.Throws<IOException>(() => writer.Save(path));
        Assert.Equal("source checkpoint unreadable", e.Message);

        Assert.Equal([1, 2, 3], File.ReadAllBytes(path));
        Assert.Equal(["model.gguf"], folder.Entries());
    }

    [Fact]
    public void SaveReplacesAnExistingFile()
    {
        using var folder = new TestFolder();
        string path = folder.File("model.gguf");
        new GgufWriter().Add("v", 1u).Save(path);
        new GgufWriter().Add("v", 2u).AddTensor("w", [1], GgmlType.F32, () => Encode(GgmlType.F32, [5f])).Save(path);
        using var file = GgufFile.Open(path);
        Assert.Equal(2L, file.GetInteger("v"));
        using var w = file.Load("w");
        Assert.Equal([5f], w.ToArray());
        Assert.Equal(["model.gguf"], folder.Entries());
    }
}
