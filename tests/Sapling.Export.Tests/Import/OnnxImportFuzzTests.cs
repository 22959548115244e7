using Google.Protobuf;
using Sapling.Autograd;
using Sapling.Export.Import;
using Sapling.Export.Onnx;
using Sapling.Testing;
using Xunit.Abstractions;
using static Sapling.Export.OnnxAttr;

namespace Sapling.Export.Tests.Import;

/// <summary>
/// Malformed ONNX files (truncated, bit-flipped, sizes and counts overwritten, chunks spliced) are refused with an error
/// that names the file, never a raw .NET exception, a hang or an allocation sized by the file; every prefix of a valid
/// file is refused or read. Reading includes building the interpreter and running the graph once.
/// </summary>
public sealed class OnnxImportFuzzTests(ITestOutputHelper output) : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("sapling-onnx-fuzz-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    private static byte[] Seed()
    {
        var g = new OnnxGraphBuilder("seed");
        g.Input("x", TensorProto.Types.DataType.Float, "batch", 2, 5, 5);
        var c = g.Node("Conv", ["x", g.Weight("w", Tensor.Randn([3, 2, 3, 3], generator: new Generator(1)))], "c", Ints("pads", 1, 1, 0, 0), Ints("strides", 2, 2));
        var r = g.Node("Reshape", [g.Node("Relu", [c], "r")], "flat");
        g.Graph.Node[^1].Input.Add(g.Int64s("shape", [0, -1], 2));
        var y = g.Node("Gemm", [r, g.Weight("fc", Tensor.Randn([4, 12], generator: new Generator(2)))], "fc", Int("transB", 1));
        g.Output(g.Node("Softmax", [y], "p", Int("axis", -1)), "probs", TensorProto.Types.DataType.Float, "batch", 4);
        return OnnxModelFile.Create(g.Graph, "seed", new Dictionary<string, string>()).ToByteArray();
    }

    private static void ReadAndRun(string path)
    {
        var module = new OnnxModule(OnnxGraph.Load(path));
        module.Eval();
        var feeds = new Dictionary<string, Tensor>();
        foreach (var input in module.Graph.Inputs)
        {
            if (input.Dims == null || input.Dims.Length > 6) return;
            var shape = input.Dims.Select(d => d < 0 ? 1 : (int)Math.Min(d, 8)).ToArray();
            feeds[input.Name] = input.ElementType == OnnxElementType.Int64 ? Tensor.Zeros(shape, DType.Int64) : Tensor.Ones(shape);
        }
        using (NoGrad.Enter()) module.Run(feeds);
    }

    private static bool IsNamedError(Exception e, string path) =>
        e is InvalidDataException or NotSupportedException or ArgumentException && e.Message.Contains(path);

    [Fact]
    public void EveryPrefixIsRefusedOrRead()
    {
        var seed = Seed();
        var path = Path.Combine(directory, "prefix.onnx");
        for (int n = 0; n < seed.Length; n++)
        {
            File.WriteAllBytes(path, seed[..n]);
            try
            {
                ReadAndRun(path);
            }
            catch (Exception e) when (IsNamedError(e, path))
            {
            }
        }
    }

    [Fact]
    public void MutatedFilesAreRefusedByName()
    {
        var path = Path.Combine(directory, "fuzz.onnx");
        var report = new Fuzzer(19).Run("onnx", [Seed()], bytes =>
        {
            File.WriteAllBytes(path, bytes);
            ReadAndRun(path);
        }, e => IsNamedError(e, path));
        output.WriteLine(report.ToString());
        Fuzzer.AssertClean(report);
    }

    [Fact]
    public void ExternalDataOutsideTheModelFolderIsRefused()
    {
        var model = ModelProto.Parser.ParseFrom(Seed());
        var w = model.Graph.Initializer.First(t => t.Name == "w");
        w.ClearRawData();
        w.DataLocation = TensorProto.Types.DataLocation.External;
        w.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = "../../etc/passwd" });
        var path = Path.Combine(directory, "external.onnx");
        File.WriteAllBytes(path, model.ToByteArray());
        var e = Assert.Throws<InvalidDataException>(() => OnnxGraph.Load(path));
        Assert.Contains("outside the model's folder", e.Message);

        // Inside the folder, with the right length, it is read.
        var values = Tensor.Randn([3, 2, 3, 3], generator: new Generator(1)).Contiguous().ToArray<float>();
        var bytes = new byte[8 + values.Length * 4];
        Buffer.BlockCopy(values, 0, bytes, 8, values.Length * 4);
        File.WriteAllBytes(Path.Combine(directory, "weights.bin"), bytes);
        w.ExternalData.Clear();
        w.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = "weights.bin" });
        w.ExternalData.Add(new StringStringEntryProto { Key = "offset", Value = "8" });
        w.ExternalData.Add(new StringStringEntryProto { Key = "length", Value = (values.Length * 4).ToString(System.Globalization.CultureInfo.InvariantCulture) });
        File.WriteAllBytes(path, model.ToByteArray());
        Assert.Equal(values, OnnxGraph.Load(path).Initializers["w"].Contiguous().ToArray<float>());
    }
}
