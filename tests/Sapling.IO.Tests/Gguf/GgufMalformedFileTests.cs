using Sapling.IO.Gguf;
using Sapling.Quantization.Ggml;
using Sapling.Testing;
using Xunit.Abstractions;

namespace Sapling.IO.Tests.Gguf;

/// <summary>
/// Hand-built broken GGUF files: each must be refused with a <see cref="GgufFormatException"/> (never another
/// exception type) whose message names the file and the key, tensor or field that is wrong, before anything the size
/// of a corrupt count is allocated.
/// </summary>
public sealed class GgufMalformedFileTests(ITestOutputHelper output)
{
    // Opening a small file costs a few kilobytes; a count or length believed before it is checked costs far more.
    private const long MaxAllocatedBytes = 1 << 20;

    private static GgufBytes Start(ulong tensors, ulong metadata, uint version = 3) => new GgufBytes().Header(tensors, metadata, version);

    /// <summary>One tensor with <paramref name="ggmlDims"/> (innermost first), no metadata, then the data section.</summary>
    private static byte[] OneTensor(ulong[] ggmlDims, uint type, ulong offset = 0, int dataBytes = 64) =>
        Start(1, 0).Tensor("w", ggmlDims, type, offset).Align().Zeros(dataBytes).ToArray();

    private static byte[] OneTensor(ulong[] ggmlDims, GgmlType type, ulong offset = 0, int dataBytes = 64) => OneTensor(ggmlDims, (uint)type, offset, dataBytes);

    /// <summary>case name → (file bytes, a phrase the message must contain).</summary>
    private static readonly Dictionary<string, (byte[] Bytes, string Problem)> Cases = new()
    {
        // ---- header ----
        ["empty file"] = ([], "the file has 0 bytes, fewer than a GGUF header (24)"),
        ["shorter than the header"] = (Start(0, 0).ToArray()[..10], "the file has 10 bytes, fewer than a GGUF header (24)"),
        ["bad magic"] = (new GgufBytes().U32(0x4C4D4747).U32(3).U64(0).U64(0).ToArray(), "it starts with bytes 47 47 4D 4C, not 'GGUF'"),
        ["version 1"] = (Start(0, 0, version: 1).ToArray(), "version 1 (from 2023, 32-bit counts) is not supported"),
        ["version 4"] = (Start(0, 0, version: 4).ToArray(), "version 4 is not supported (2 and 3 are)"),
        ["big-endian version"] = (Start(0, 0, version: 0x0300_0000).ToArray(), "version 50331648 looks big-endian"),
        ["absurd tensor count"] = (Start(1UL << 60, 0).Zeros(64).ToArray(), "the tensor count is 1152921504606846976, more than the 72 remaining bytes could hold"),
        ["absurd metadata count"] = (Start(0, 1UL << 60).Zeros(64).ToArray(), "the metadata count is 1152921504606846976, more than the 64 remaining bytes could hold"),
        ["tensor count just too large"] = (Start(3, 0).Zeros(87).ToArray(), "the tensor count is 3, more than the 95 remaining bytes could hold"),

        // ---- metadata ----
        ["key longer than the file"] = (Start(0, 1).U64(1000).Raw("abcdefgh"u8.ToArray()).ToArray(), "the name of metadata entry 0 is a string of 1000 bytes, but only 8 remain"),
        ["string value longer than the file"] = (Start(0, 1).Key("k", GgufValueType.String).U64(1UL << 40).Zeros(4).ToArray(), "the value of 'k' is a string of 1099511627776 bytes, but only 4 remain"),
        ["array count larger than the file"] = (Start(0, 1).ArrayKey("a", GgufValueType.Int32, 1UL << 40).Zeros(8).ToArray(), "metadata key 'a' claims 1099511627776 elements, more than the 8 remaining bytes could hold"),
        ["string array count larger than the file"] = (Start(0, 1).ArrayKey("toks", GgufValueType.String, 1000).Str("a").ToArray(), "metadata key 'toks' claims 1000 elements"),
        ["array count above int.MaxValue"] = (Start(0, 1).ArrayKey("a", GgufValueType.UInt8, 1UL << 63).Zeros(8).ToArray(), "metadata key 'a' claims 9223372036854775808 elements"),
        ["array element past the end"] = (Start(0, 1).ArrayKey("toks", GgufValueType.String, 2).Str("a").U64(100).Zeros(3).ToArray(), "element 1 of 'toks' is a string of 100 bytes, but only 3 remain"),
        ["nested array"] = (Start(0, 1).ArrayKey("n", GgufValueType.Array, 0).ToArray(), "metadata key 'n' is an array of arrays"),
        ["unknown value type"] = (Start(0, 1).Key("k", (GgufValueType)13).U32(0).ToArray(), "metadata key 'k' has value type 13, which GGUF does not define"),
        ["unknown array element type"] = (Start(0, 1).ArrayKey("k", (GgufValueType)200, 0).ToArray(), "metadata key 'k' is an array of value type 200, which GGUF does not define"),
        ["duplicate key"] = (Start(0, 2).Key("a", GgufValueType.UInt32).U32(1).Key("a", GgufValueType.UInt32).U32(2).ToArray(), "metadata key 'a' appears twice"),
        ["bool stored as 2"] = (Start(0, 1).Key("flag", GgufValueType.Bool).U8(2).ToArray(), "metadata key 'flag' is a bool stored as 2"),
        ["bool array element stored as 2"] = (Start(0, 1).ArrayKey("flags", GgufValueType.Bool, 2).U8(1).U8(2).ToArray(), "metadata key 'flags' is a bool stored as 2"),
        ["uint64 beyond long"] = (Start(0, 1).Key("u", GgufValueType.UInt64).U64(ulong.MaxValue).ToArray(), "'u' is 18446744073709551615, larger than Sapling reads"),
        ["invalid UTF-8 in a key"] = (Start(0, 1).U64(2).Raw(0xC3, 0x28).U32((uint)GgufValueType.UInt32).U32(1).ToArray(), "the name of metadata entry 0 is not valid UTF-8"),
        ["invalid UTF-8 in a value"] = (Start(0, 1).Key("s", GgufValueType.String).U64(1).Raw(0xFF).ToArray(), "the value of 's' is not valid UTF-8"),
        ["file ends inside a value"] = (Start(0, 1).Key("k", GgufValueType.UInt64).ToArray(), "the file ends inside k (at byte 37 of 37)"),
        ["alignment not a power of two"] = (Start(0, 1).Key("general.alignment", GgufValueType.UInt32).U32(48).ToArray(), "general.alignment is 48, not a power of two up to 1 MiB"),
        ["alignment zero"] = (Start(0, 1).Key("general.alignment", GgufValueType.UInt32).U32(0).ToArray(), "general.alignment is 0, not a power of two"),
        ["alignment above 1 MiB"] = (Start(0, 1).Key("general.alignment", GgufValueType.UInt32).U32(1 << 21).ToArray(), "general.alignment is 2097152, not a power of two up to 1 MiB"),
        ["alignment a string"] = (Start(0, 1).Key("general.alignment", GgufValueType.String).Str("x").ToArray(), "general.alignment is x, not a power of two"),

        // ---- tensor table ----
        ["invalid UTF-8 in a tensor name"] = (Start(1, 0).U64(1).Raw(0x80).U32(1).U64(32).U32(0).U64(0).Align().Zeros(128).ToArray(), "the name of tensor 0 is not valid UTF-8"),
        ["file ends inside a tensor info"] = (Start(1, 0).Str("w").U32(1).U64(32).U32(0).Zeros(7).ToArray(), "the file ends inside the data offset of tensor 'w' (at byte 49 of 56)"),
        ["duplicate tensor name"] = (Start(2, 0).Tensor("w", [8], GgmlType.F32, 0).Tensor("w", [8], GgmlType.F32, 32).Align().Zeros(64).ToArray(), "tensor 'w' appears twice"),
        ["zero dimensions"] = (OneTensor([], GgmlType.F32), "tensor 'w' has 0 dimensions (1 to 4 allowed)"),
        ["five dimensions"] = (OneTensor([1, 1, 1, 1, 1], GgmlType.F32), "tensor 'w' has 5 dimensions (1 to 4 allowed)"),
        ["absurd dimension count"] = (Start(1, 0).Str("w").U32(uint.MaxValue).U64(1).U32(0).U64(0).Align().Zeros(64).ToArray(), "tensor 'w' has 4294967295 dimensions"),
        ["dimension of 0"] = (OneTensor([4, 0], GgmlType.F32), "tensor 'w' has dimension 1 of 0 elements (1 to 2147483647 supported)"),
        ["dimension above int.MaxValue"] = (OneTensor([2147483648], GgmlType.F32), "tensor 'w' has dimension 0 of 2147483648 elements"),
        ["dimension 2^64-1"] = (OneTensor([ulong.MaxValue], GgmlType.F32), "tensor 'w' has dimension 0 of 18446744073709551615 elements"),
        ["too many elements"] = (OneTensor([65536, 65536], GgmlType.F32), "tensor 'w' has more than 2147483647 elements"),
        ["unknown ggml type"] = (OneTensor([32], 99), "tensor 'w' has ggml type 99, which Sapling does not read"),
        ["removed ggml type (Q4_2)"] = (OneTensor([32], 4), "tensor 'w' has ggml type 4, which Sapling does not read"),
        ["known but unsupported type Q8_K"] = (OneTensor([256], GgmlType.Q8_K, dataBytes: 320), "tensor 'w' has ggml type q8_K, which Sapling does not read"),
        ["known but unsupported type I32"] = (OneTensor([4], GgmlType.I32), "tensor 'w' has ggml type i32, which Sapling does not read"),
        ["Q8_0 rows of 33"] = (OneTensor([33, 2], GgmlType.Q8_0, dataBytes: 256), "tensor 'w' (q8_0) has rows of 33 elements, not a whole number of 32-element blocks"),
        ["Q4_K rows of 32"] = (OneTensor([32], GgmlType.Q4_K, dataBytes: 256), "tensor 'w' (q4_K) has rows of 32 elements, not a whole number of 256-element blocks"),
        ["unaligned offset"] = (OneTensor([8], GgmlType.F32, offset: 4), "tensor 'w' starts at data offset 4, not a multiple of the alignment 32"),
        ["offset unaligned for general.alignment"] = (Start(1, 1).Key("general.alignment", GgufValueType.UInt32).U32(64).Tensor("w", [8], GgmlType.F32, 32).Align(64).Zeros(128).ToArray(),
            "tensor 'w' starts at data offset 32, not a multiple of the alignment 64"),
        ["offset past the end"] = (OneTensor([8], GgmlType.F32, offset: 1UL << 40), "tensor 'w' starts at data offset 1099511627776, beyond the end of the file"),
        ["offset 2^64-32"] = (OneTensor([8], GgmlType.F32, offset: ulong.MaxValue - 31), "tensor 'w' starts at data offset 18446744073709551584, beyond the end of the file"),
        ["tensor data truncated"] = (OneTensor([16], GgmlType.F32, dataBytes: 32), "tensor 'w' needs bytes 0..64 of the data section, which has 32 (the file is truncated"),
        ["no data section at all"] = (Start(1, 0).Tensor("w", [16], GgmlType.F32, 0).ToArray(), "tensor 'w' needs bytes 0..64 of the data section, which has 0"),
        ["second tensor past the end"] = (Start(2, 0).Tensor("a", [8], GgmlType.F32, 0).Tensor("b", [8], GgmlType.F32, 32).Align().Zeros(48).ToArray(),
            "tensor 'b' needs bytes 32..64 of the data section, which has 48"),
        ["overlapping tensors"] = (Start(2, 0).Tensor("a", [16], GgmlType.F32, 0).Tensor("b", [16], GgmlType.F32, 32).Align().Zeros(96).ToArray(),
            "tensors 'a' and 'b' overlap in the data section"),
        ["same offset twice"] = (Start(2, 0).Tensor("a", [8], GgmlType.F32, 0).Tensor("b", [8], GgmlType.F32, 0).Align().Zeros(32).ToArray(),
            "tensors 'a' and 'b' overlap in the data section"),
    };

    public static TheoryData<string> CaseNames => new(Cases.Keys);

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void MalformedFileIsRefusedWithTheFileNameAndTheProblem(string caseName)
    {
        using var folder = new TestFolder();
        var (bytes, problem) = Cases[caseName];
        string path = folder.File($"bad-{caseName.Replace(' ', '-')}.gguf");
        File.WriteAllBytes(path, bytes);

        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<GgufFormatException>(() => GgufFile.Open(path));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Contains(Path.GetFileName(path), e.Message);
        Assert.Contains(problem, e.Message);
        Assert.Contains(problem, e.Problem);
        Assert.Equal(Path.GetFullPath(path), e.FilePath);
        Assert.IsAssignableFrom<IOException>(e);
        Assert.True(allocated < MaxAllocatedBytes, $"refusing '{caseName}' allocated {allocated} bytes");
    }

    [Fact]
    public void StringLongerThan64MiBIsRefusedEvenWhenTheFileHoldsIt()
    {
        // A sparse file large enough for the claimed length: the limit, not the file size, refuses it.
        using var folder = new TestFolder();
        string path = folder.File("long-key.gguf");
        const long claimed = (64L << 20) + 1;
        using (var stream = new FileStream(path, FileMode.CreateNew))
        {
            stream.Write(Start(0, 1).U64(claimed).ToArray());
            stream.SetLength(claimed + 4096);
        }
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<GgufFormatException>(() => GgufFile.Open(path));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Contains("long-key.gguf", e.Message);
        Assert.Contains("the name of metadata entry 0 is a string of 67108865 bytes, longer than any GGUF string should be", e.Message);
        Assert.True(allocated < MaxAllocatedBytes, $"allocated {allocated} bytes");
    }

    [Fact]
    public void MissingFileIsAFileNotFoundException()
    {
        using var folder = new TestFolder();
        string path = folder.File("absent.gguf");
        var e = Assert.Throws<FileNotFoundException>(() => GgufFile.Open(path));
        Assert.Contains("absent.gguf", e.Message);
    }

    /// <summary>A valid file with metadata of several kinds and tensors of several types, for cutting and mutating.</summary>
    private static byte[] SmallValidFile(TestFolder folder)
    {
        string path = folder.File("seed.gguf");
        var q80 = new float[2 * 32];
        for (int i = 0; i < q80.Length; i++) q80[i] = MathF.Sin(i * 0.7f) * 3;
        var bytes = new byte[GgmlType.Q8_0.ByteCount(q80.Length)];
        GgmlBlocks.Quantize(GgmlType.Q8_0, q80, bytes);
        new GgufWriter()
            .Add("general.architecture", "llama")
            .Add("llama.block_count", 2u)
            .Add("llama.rope.freq_base", 10000f)
            .Add("tokenizer.ggml.tokens", ["<s>", "</s>", "a", "b"])
            .Add("tokenizer.ggml.scores", [0f, 0f, -1f, -2f])
            .Add("tokenizer.ggml.token_type", [3, 3, 1, 1])
            .Add("tokenizer.ggml.add_bos_token", true)
            .AddTensor("token_embd.weight", [4, 3], GgmlType.F32, () => new byte[48])
            .AddTensor("blk.0.attn_q.weight", [2, 32], GgmlType.Q8_0, () => bytes)
            .AddTensor("output_norm.weight", [3], GgmlType.F16, () => [0, 0x3C, 0, 0xC0, 0, 0])
            .Save(path);
        return File.ReadAllBytes(path);
    }

    /// <summary>Opens, reads every value and decodes every tensor (what a loader does with an accepted file).</summary>
    private static void ReadEverything(string path)
    {
        using var file = GgufFile.Open(path);
        foreach (string key in file.MetadataKeys) _ = file.Metadata[key].ToString();
        foreach (var info in file.Tensors)
        {
            using var t = file.Load(info.Name);
            using var m = file.Map(info.Name);
            _ = file.Bytes(info.Name).Length;
        }
    }

    [Fact]
    public void EveryTruncationOfAValidFileIsRefusedByNameUntilTheLastTensorIsWhole()
    {
        using var folder = new TestFolder();
        byte[] whole = SmallValidFile(folder);
        long needed;
        using (var file = GgufFile.Open(folder.File("seed.gguf")))
            needed = file.DataOffset + file.Tensors.Max(t => t.Offset + t.ByteCount);
        Assert.True(needed <= whole.Length);

        string path = folder.File("cut.gguf");
        for (int length = 0; length <= whole.Length; length++)
        {
            File.WriteAllBytes(path, whole[..length]);
            long before = GC.GetAllocatedBytesForCurrentThread();
            try
            {
                ReadEverything(path);
                Assert.True(length >= needed, $"a {length}-byte prefix (of {whole.Length}) was accepted, but the last tensor ends at byte {needed}");
            }
            catch (GgufFormatException e)
            {
                Assert.True(length < needed, $"a {length}-byte prefix (of {whole.Length}, data complete at {needed}) was refused: {e.Message}");
                Assert.Contains("cut.gguf", e.Message);
            }
            catch (Exception e)
            {
                Assert.Fail($"a {length}-byte prefix (of {whole.Length}) threw {e.GetType().Name} instead of GgufFormatException: {e}");
            }
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.True(allocated < MaxAllocatedBytes, $"a {length}-byte prefix allocated {allocated} bytes");
        }
    }

    [Fact]
    public void MutatedFilesLoadOrGetANamedError()
    {
        using var folder = new TestFolder();
        var seeds = new List<byte[]>
        {
            SmallValidFile(folder),
            GgufFileTests.HandBuiltVersion2File(),
        };
        string target = folder.File("model.gguf");
        var report = new Fuzzer(7).Run("gguf", seeds, bytes =>
        {
            File.WriteAllBytes(target, bytes);
            ReadEverything(target);
        }, e => e is GgufFormatException && e.Message.Contains(target));
        output.WriteLine(report.ToString());
        Fuzzer.AssertClean(report);
    }
}
