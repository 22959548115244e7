using System.Text.Json;
using Sapling.Testing;
using static Sapling.IO.Tests.TensorFactory;

namespace Sapling.IO.Tests;

/// <summary>
/// Files laid out byte by byte as Hugging Face's serializer lays them out, by
/// tests/fixtures/safetensors/make_safetensors_fixtures.py (the Python safetensors package is not installable here).
/// Reading them checks the reader against every dtype; writing the same tensors checks the writer byte for byte.
/// </summary>
public class SafeTensorsCompatibilityTests
{
    private static readonly string Folder = Path.Combine(Fixtures.Directory, "safetensors");

    private static readonly Lazy<JsonElement> Expected = new(() =>
        JsonDocument.Parse(File.ReadAllBytes(Path.Combine(Folder, "expected.json"))).RootElement);

    private static JsonElement ExpectedFile(string name) => Expected.Value.GetProperty(name);

    [Theory]
    [InlineData("hf_layout.safetensors")]
    [InlineData("sapling_dtypes.safetensors")]
    public void FixtureLoadsWithTheValuesPythonWrote(string fileName)
    {
        var expected = ExpectedFile(fileName);
        using var file = SafeTensorsFile.Open(Path.Combine(Folder, fileName));

        Assert.Equal(expected.GetProperty("tensors").EnumerateObject().Select(p => p.Name), file.Names);
        Assert.Equal(
            expected.GetProperty("metadata").EnumerateObject().Select(p => KeyValuePair.Create(p.Name, p.Value.GetString()!)).OrderBy(p => p.Key, StringComparer.Ordinal),
            file.Metadata.OrderBy(p => p.Key, StringComparer.Ordinal));

        foreach (var entry in expected.GetProperty("tensors").EnumerateObject())
        {
            string dtype = entry.Value.GetProperty("dtype").GetString()!;
            long[] shape = entry.Value.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ToArray();
            var values = entry.Value.GetProperty("values").EnumerateArray().ToArray();
            var info = file.Info(entry.Name);
            Assert.Equal(dtype, info.DType);
            Assert.Equal(shape, info.Shape);

            using var loaded = file.Load(entry.Name);
            Assert.Equal(LoadsAs(dtype), loaded.DType);
            Assert.Equal(shape.Select(d => (int)d), loaded.Shape);
            switch (loaded.DType)
            {
                case DType.Float32 or DType.BFloat16 or DType.Float16:
                    using (var f = loaded.To(DType.Float32))
                        Assert.Equal(values.Select(v => BitConverter.SingleToInt32Bits((float)v.GetDouble())), f.ToArray<float>().Select(BitConverter.SingleToInt32Bits));
                    break;
                case DType.Float64:
                    Assert.Equal(values.Select(v => BitConverter.DoubleToInt64Bits(v.GetDouble())), loaded.ToArray<double>().Select(BitConverter.DoubleToInt64Bits));
                    break;
                case DType.Bool:
                    Assert.Equal(values.Select(v => v.GetBoolean()), loaded.ToArray<bool>());
                    break;
                default:
                    using (var l = loaded.To(DType.Int64))
                        Assert.Equal(values.Select(v => v.GetInt64()), l.ToArray<long>());
                    break;
            }
        }
    }

    [Fact]
    public void SavingTheSameTensorsReproducesThePythonFileByteForByte()
    {
        var expected = ExpectedFile("sapling_dtypes.safetensors");
        var tensors = new Dictionary<string, Tensor>();
        foreach (var entry in expected.GetProperty("tensors").EnumerateObject())
        {
            int[] shape = entry.Value.GetProperty("shape").EnumerateArray().Select(d => d.GetInt32()).ToArray();
            var values = entry.Value.GetProperty("values").EnumerateArray().ToArray();
            tensors[entry.Name] = entry.Value.GetProperty("dtype").GetString() switch
            {
                "F32" => Make(values.Select(v => (float)v.GetDouble()).ToArray(), shape),
                "BF16" => BFloat16(values.Select(v => (float)v.GetDouble()).ToArray(), shape),
                "I8" => Make(values.Select(v => v.GetSByte()).ToArray(), shape),
                "I32" => Make(values.Select(v => v.GetInt32()).ToArray(), shape),
                "I64" => Make(values.Select(v => v.GetInt64()).ToArray(), shape),
                "BOOL" => Make(values.Select(v => v.GetBoolean()).ToArray(), shape),
                var other => throw new InvalidDataException($"fixture dtype {other} is not a Sapling dtype"),
            };
        }
        var metadata = expected.GetProperty("metadata").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!);

        using var folder = new TestFolder();
        string path = folder.File("resaved.safetensors");
        SafeTensors.Save(path, tensors, metadata);

        Assert.Equal(File.ReadAllBytes(Path.Combine(Folder, "sapling_dtypes.safetensors")), File.ReadAllBytes(path));
    }

    [Fact]
    public void LoadingAndSavingThePythonFileChangesNoByte()
    {
        string original = Path.Combine(Folder, "sapling_dtypes.safetensors");
        Dictionary<string, string> metadata;
        using (var file = SafeTensorsFile.Open(original)) metadata = new(file.Metadata);
        var tensors = SafeTensors.LoadAll(original);

        using var folder = new TestFolder();
        string path = folder.File("copy.safetensors");
        SafeTensors.Save(path, tensors, metadata);

        Assert.Equal(File.ReadAllBytes(original), File.ReadAllBytes(path));
    }

    private static DType LoadsAs(string dtype) => dtype switch
    {
        "F32" => DType.Float32,
        "F16" => DType.Float16,
        "F64" => DType.Float64,
        "BF16" => DType.BFloat16,
        "I8" => DType.Int8,
        "U8" or "I16" or "U16" or "I32" => DType.Int32,
        "U32" or "I64" => DType.Int64,
        "BOOL" => DType.Bool,
        _ => throw new ArgumentException(dtype),
    };
}
