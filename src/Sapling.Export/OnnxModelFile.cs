using Google.Protobuf;
using Sapling.Export.Onnx;
using Sapling.IO;

namespace Sapling.Export;

/// <summary>Wraps a graph into a model file (IR version, operator set, producer, metadata), and reads and writes it.</summary>
public static class OnnxModelFile
{
    /// <summary>The default-domain operator set every exported graph is written against.</summary>
    public const long Opset = 17;

    /// <summary>IR version 8 is the one that goes with opset 17 (ONNX 1.12).</summary>
    public const long IrVersion = 8;

    /// <summary>Protobuf cannot serialise a message of 2 GiB or more: past this, weights go to an external data file.</summary>
    private const long MaxBytes = int.MaxValue;

    /// <summary>Initializers at least this large leave the graph when it is stored with external data.</summary>
    private const int ExternalThreshold = 1024;

    /// <summary>External tensors start at multiples of this, so a runtime can map them page by page.</summary>
    private const int ExternalAlignment = 4096;

    internal static ModelProto Create(GraphProto graph, string docString, IReadOnlyDictionary<string, string> metadata)
    {
        var model = new ModelProto
        {
            IrVersion = IrVersion,
            ProducerName = "sapling",
            ProducerVersion = typeof(OnnxModelFile).Assembly.GetName().Version?.ToString() ?? "0",
            DocString = docString,
            Graph = graph,
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = Opset });
        foreach (var (key, value) in metadata) model.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value });
        return model;
    }

    /// <summary>
    /// Writes the model atomically: an interrupted export leaves no half-written file under the final name. A model of
    /// 2 GiB or more (protobuf's limit; a 0.5 B-parameter decoder in float32) is written as ONNX external data: its
    /// initializers of 1 KiB or more go to "NAME_data" beside it (aligned to 4 KiB), the graph keeps their location,
    /// offset and length; <paramref name="externalData"/> forces that layout for smaller models.
    /// </summary>
    public static void Save(ModelProto model, string path, bool externalData = false)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(directory)) Directory.CreateDirectory(directory);
        if (externalData || model.CalculateSize() >= MaxBytes) MoveInitializersOut(model, path);
        long size = model.CalculateSize();
        if (size >= MaxBytes)
            throw new NotSupportedException($"ONNX export: the graph without its weights still needs {size / (1L << 20)} MiB, past protobuf's 2 GiB limit");
        AtomicFile.Write(path, stream => model.WriteTo(stream));
    }

    /// <summary>Writes the large initializers' bytes to PATH_data and leaves references to them in the graph.</summary>
    private static void MoveInitializersOut(ModelProto model, string path)
    {
        string location = Path.GetFileName(path) + "_data";
        var dataPath = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, location);
        AtomicFile.Write(dataPath, stream =>
        {
            long offset = 0;
            foreach (var tensor in model.Graph.Initializer)
            {
                if (!tensor.HasRawData || tensor.RawData.Length < ExternalThreshold) continue;
                long start = (offset + ExternalAlignment - 1) / ExternalAlignment * ExternalAlignment;
                for (; offset < start; offset++) stream.WriteByte(0);
                tensor.RawData.WriteTo(stream);
                long length = tensor.RawData.Length;
                offset += length;
                tensor.ClearRawData();
                tensor.DataLocation = TensorProto.Types.DataLocation.External;
                tensor.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = location });
                tensor.ExternalData.Add(new StringStringEntryProto { Key = "offset", Value = start.ToString(System.Globalization.CultureInfo.InvariantCulture) });
                tensor.ExternalData.Add(new StringStringEntryProto { Key = "length", Value = length.ToString(System.Globalization.CultureInfo.InvariantCulture) });
            }
        });
    }

    /// <summary>
    /// Parses the .onnx file at <paramref name="path"/> as it is (external data is not read here). Refuses bytes that
    /// are not an ONNX protobuf.
    /// </summary>
    public static ModelProto Load(string path)
    {
        using var stream = File.OpenRead(path);
        try
        {
            return ModelProto.Parser.ParseFrom(stream);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new InvalidDataException($"{path}: not an ONNX model ({e.Message})", e);
        }
    }
}
