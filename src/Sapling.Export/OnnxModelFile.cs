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

    /// <summary>Protobuf cannot serialise a message of 2 GiB or more; larger models would need ONNX's external data, which is not written.</summary>
    private const long MaxBytes = int.MaxValue;

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

    /// <summary>Writes the model atomically: an interrupted export leaves no half-written file under the final name.</summary>
    public static void Save(ModelProto model, string path)
    {
        long size = model.CalculateSize();
        if (size >= MaxBytes)
            throw new NotSupportedException($"ONNX export: the model needs {size / (1L << 20)} MiB, past protobuf's 2 GiB limit (ONNX external data is not supported)");
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(directory)) Directory.CreateDirectory(directory);
        AtomicFile.Write(path, stream => model.WriteTo(stream));
    }

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
