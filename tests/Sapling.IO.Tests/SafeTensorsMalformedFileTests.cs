using System.Buffers.Binary;
using System.Text;

namespace Sapling.IO.Tests;

/// <summary>
/// Hand-built broken files: each must fail with a <see cref="SafeTensorsFormatException"/> whose message names the
/// file and says what is wrong.
/// </summary>
public class SafeTensorsMalformedFileTests
{
    private const string F32x2 = "{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":";

    /// <summary>case name → (file bytes, a phrase the message must contain).</summary>
    private static readonly Dictionary<string, (byte[] Bytes, string Problem)> Cases = new()
    {
        ["empty file"] = ([], "0 bytes long, shorter than the 8-byte header length"),
        ["shorter than 8 bytes"] = ([1, 0, 0, 0, 0], "5 bytes long, shorter than the 8-byte header length"),
        ["header length past the end"] = (Raw(100, "{}"u8.ToArray(), []), "says 100 bytes but only 2 bytes follow it"),
        ["absurd header length"] = (Raw(200_000_000, "{}"u8.ToArray(), []), "more than the 100000000-byte limit"),
        ["header not UTF-8"] = (Raw(3, [(byte)'{', 0xFF, (byte)'}'], []), "not valid UTF-8"),
        ["header not JSON"] = (Build("{\"a\":", 0), "the header is not valid JSON"),
        ["header not an object"] = (Build("[1,2]", 0), "the header is a JSON array, not an object"),
        ["entry not an object"] = (Build("{\"a\":5}", 0), "the entry of tensor 'a' is a JSON number, not an object"),
        ["missing dtype"] = (Build("{\"a\":{\"shape\":[1],\"data_offsets\":[0,4]}}", 4), "tensor 'a' has no \"dtype\""),
        ["missing shape"] = (Build("{\"a\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", 4), "tensor 'a' has no \"shape\""),
        ["missing data_offsets"] = (Build("{\"a\":{\"dtype\":\"F32\",\"shape\":[1]}}", 4), "tensor 'a' has no \"data_offsets\""),
        ["unknown dtype"] = (Build("{\"a\":{\"dtype\":\"F17\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4), "tensor 'a' has unknown dtype \"F17\""),
        ["dtype not a string"] = (Build("{\"a\":{\"dtype\":4,\"shape\":[1],\"data_offsets\":[0,4]}}", 4), "tensor 'a' has a dtype that is a JSON number"),
        ["negative dimension"] = (Build("{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4), "shape dimension 0 that is negative (-1)"),
        ["fractional dimension"] = (Build("{\"a\":{\"dtype\":\"F32\",\"shape\":[2,1.5],\"data_offsets\":[0,4]}}", 4), "shape dimension 1 that is not a 64-bit integer (1.5)"),
        ["string dimension"] = (Build("{\"a\":{\"dtype\":\"F32\",\"shape\":[\"1\"],\"data_offsets\":[0,4]}}", 4), "shape dimension 0 that is a JSON string"),
        ["shape not an array"] = (Build("{\"a\":{\"dtype\":\"F32\",\"shape\":1,\"data_offsets\":[0,4]}}", 4), "a shape that is a JSON number, not an array"),
        ["shape overflowing"] = (Build("{\"a\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904,4],\"data_offsets\":[0,4]}}", 4), "whose byte size overflows 64 bits"),
        ["three offsets"] = (Build("{\"a\":" + F32x2 + "[0,4,8]}}", 8), "data_offsets [0,4,8], not a pair [begin, end]"),
        ["offsets not numbers"] = (Build("{\"a\":" + F32x2 + "[\"0\",\"8\"]}}", 8), "data_offsets begin that is a JSON string"),
        ["negative offset"] = (Build("{\"a\":" + F32x2 + "[-8,0]}}", 8), "data_offsets begin that is negative (-8)"),
        ["begin after end"] = (Build("{\"a\":" + F32x2 + "[8,0]}}", 8), "data_offsets [8, 0] whose begin is past its end"),
        ["byte length not numel times size"] = (Build("{\"a\":" + F32x2 + "[0,4]}}", 4), "tensor 'a' (F32, shape [2]) needs 8 bytes but its data_offsets [0, 4] span 4"),
        ["truncated data"] = (Build("{\"a\":" + F32x2 + "[0,8]}}", 5), "past the end of the 5-byte data section (the file is truncated)"),
        ["overlapping tensors"] = (Build("{\"a\":" + F32x2 + "[0,8]},\"b\":" + F32x2 + "[4,12]}}", 12), "tensors 'a' [0, 8] and 'b' [4, 12] overlap"),
        ["gap between tensors"] = (Build("{\"a\":" + F32x2 + "[0,8]},\"b\":" + F32x2 + "[12,20]}}", 20), "data bytes [8, 12) before tensor 'b' belong to no tensor"),
        ["gap at the start"] = (Build("{\"a\":" + F32x2 + "[4,12]}}", 12), "data bytes [0, 4) before tensor 'a' belong to no tensor"),
        ["trailing bytes"] = (Build("{\"a\":" + F32x2 + "[0,8]}}", 12), "bytes [8, 12) belong to no tensor (a gap at the end)"),
        ["duplicate names"] = (Build("{\"a\":" + F32x2 + "[0,8]},\"a\":" + F32x2 + "[8,16]}}", 16), "tensor name 'a' appears twice"),
        ["duplicate field"] = (Build("{\"a\":{\"dtype\":\"F32\",\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4), "tensor 'a' has \"dtype\" twice"),
        ["metadata value not a string"] = (Build("{\"__metadata__\":{\"epoch\":3}}", 0), "\"__metadata__\" value for key 'epoch' is a JSON number, not a string"),
        ["metadata not an object"] = (Build("{\"__metadata__\":[\"x\"]}", 0), "\"__metadata__\" is a JSON array, not an object of strings"),
    };

    public static TheoryData<string> CaseNames => new(Cases.Keys);

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void MalformedFileIsRejectedWithTheFileNameAndTheProblem(string caseName)
    {
        using var folder = new TestFolder();
        var (bytes, problem) = Cases[caseName];
        string path = folder.File($"bad-{caseName.Replace(' ', '-')}.safetensors");
        File.WriteAllBytes(path, bytes);

        var e = Assert.Throws<SafeTensorsFormatException>(() => SafeTensorsFile.Open(path));
        Assert.Contains(Path.GetFileName(path), e.Message);
        Assert.Contains(problem, e.Message);
        Assert.Equal(Path.GetFullPath(path), e.FilePath);
        Assert.IsAssignableFrom<IOException>(e);

        // The whole-file loader goes through the same checks.
        Assert.Throws<SafeTensorsFormatException>(() => SafeTensors.LoadAll(path));
    }

    [Fact]
    public void LenientButValidVariantsAreAccepted()
    {
        using var folder = new TestFolder();
        // No padding (data unaligned), null metadata, an unknown extra field, keys in any order, an empty tensor
        // sharing its offset with the next one: Hugging Face's reader accepts all of these.
        string header = "{\"b\":{\"data_offsets\":[4,8],\"shape\":[1],\"dtype\":\"I32\",\"extra\":true},\"__metadata__\":null,"
            + "\"e\":{\"dtype\":\"F32\",\"shape\":[0,5],\"data_offsets\":[0,0]},\"a\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]}}";
        byte[] data = new byte[8];
        BinaryPrimitives.WriteSingleLittleEndian(data, 1.5f);
        BinaryPrimitives.WriteInt32LittleEndian(data.AsSpan(4), -9);
        string path = folder.File("lenient.safetensors");
        File.WriteAllBytes(path, Raw((ulong)Encoding.UTF8.GetByteCount(header), Encoding.UTF8.GetBytes(header), data));

        using var file = SafeTensorsFile.Open(path);
        Assert.Equal(["e", "a", "b"], file.Names);
        Assert.Empty(file.Metadata);
        using var a = file.Load("a");
        Assert.Equal(1.5f, a.Item());
        using var b = file.Load("b");
        Assert.Equal([-9], b.ToArray<int>());
        using var e = file.Load("e");
        Assert.Equal([0, 5], e.Shape);
    }

    [Fact]
    public void DTypeSaplingCannotHoldFailsOnLoadNotOnOpen()
    {
        using var folder = new TestFolder();
        string path = folder.File("u64.safetensors");
        File.WriteAllBytes(path, Build("{\"big\":{\"dtype\":\"U64\",\"shape\":[1],\"data_offsets\":[0,8]}}", 8));
        using var file = SafeTensorsFile.Open(path);
        Assert.Equal("U64", file.Info("big").DType);
        var e = Assert.Throws<NotSupportedException>(() => file.Load("big"));
        Assert.Contains("u64.safetensors", e.Message);
        Assert.Contains("U64", e.Message);
    }

    /// <summary>A file with a correct length prefix and the header padded as writers do, followed by zeroed data.</summary>
    private static byte[] Build(string header, int dataBytes)
    {
        var json = Encoding.UTF8.GetBytes(header);
        int padded = (json.Length + 7) / 8 * 8;
        var text = new byte[padded];
        text.AsSpan().Fill((byte)' ');
        json.CopyTo(text, 0);
        return Raw((ulong)padded, text, new byte[dataBytes]);
    }

    private static byte[] Raw(ulong declaredLength, byte[] header, byte[] data)
    {
        var bytes = new byte[8 + header.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, declaredLength);
        header.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + header.Length);
        return bytes;
    }
}
