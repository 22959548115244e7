using System.Text.Json.Nodes;
using Google.Protobuf;
using Sapling.Export.Onnx;
using Sapling.IO;

namespace Sapling.Export.Import;

/// <summary>
/// An imported ONNX graph as a Sapling model folder: <c>config.json</c> (model_type <c>onnx</c>, the inputs and
/// outputs by their ONNX names), <c>model.onnx</c> (the graph without its weights) and <c>model.safetensors</c> (the
/// weights under their ONNX initializer names, which fine-tuning rewrites). Each file is written atomically.
/// </summary>
public static class OnnxFolder
{
    /// <summary>
    /// The <c>model_type</c> written to config.json, by which the folder is recognised as an imported graph.
    /// </summary>
    public const string ModelType = "onnx";
    /// <summary>The graph's file name in the folder: the structure without its weights.</summary>
    public const string GraphFile = "model.onnx";
    /// <summary>The weights' file name in the folder, keyed by ONNX initializer name.</summary>
    public const string WeightsFile = "model.safetensors";
    /// <summary>The config's file name in the folder.</summary>
    public const string ConfigFile = "config.json";

    /// <summary>
    /// Writes <paramref name="module"/> to <paramref name="directory"/> (created if missing): its current weights, the
    /// graph without them, and the config.
    /// </summary>
    public static void Save(string directory, OnnxModule module)
    {
        Directory.CreateDirectory(directory);
        var graph = module.Graph;
        var structure = Structure(graph);
        var state = module.StateDict();
        SafeTensors.Save(Path.Combine(directory, WeightsFile), state, new Dictionary<string, string> { ["format"] = "pt", ["model_type"] = ModelType });
        AtomicFile.Write(Path.Combine(directory, GraphFile), stream => structure.WriteTo(stream));
        var config = new JsonObject
        {
            ["model_type"] = ModelType,
            ["architectures"] = new JsonArray("OnnxModule"),
            ["graph"] = GraphFile,
            ["opset"] = graph.Opset,
            ["producer"] = graph.Producer,
            ["inputs"] = Describe(graph.Inputs),
            ["outputs"] = Describe(graph.Outputs),
        };
        AtomicFile.WriteAllText(Path.Combine(directory, ConfigFile), config.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
    }

    /// <summary>The graph with its current weights put back as initializers (an imported graph, fine-tuned or not, exported again).</summary>
    public static ModelProto ToModel(OnnxModule module)
    {
        var model = Structure(module.Graph);
        foreach (var (name, tensor) in module.StateDict())
            model.Graph.Initializer.Add(tensor.DType switch
            {
                DType.Int64 => OnnxTensors.Int64(name, tensor.Contiguous().ToArray<long>(), tensor.Shape.Select(d => (long)d).ToArray()),
                DType.Float32 => OnnxTensors.Float(name, tensor),
                var other => throw new NotSupportedException($"ONNX export: initializer '{name}' is {other.Name()}, which the exporter does not write"),
            });
        return model;
    }

    /// <summary>
    /// Reads a folder written by <see cref="Save"/> into a module in eval mode. Refuses a folder missing any of its
    /// three files, and a graph or weights that do not check out.
    /// </summary>
    public static OnnxModule Load(string directory)
    {
        var graphPath = Path.Combine(directory, GraphFile);
        var weightsPath = Path.Combine(directory, WeightsFile);
        foreach (var path in new[] { Path.Combine(directory, ConfigFile), graphPath, weightsPath })
            if (!File.Exists(path)) throw new FileNotFoundException($"imported ONNX model folder '{directory}' has no {Path.GetFileName(path)} (written by 'sapling import onnx')", path);
        var weights = SafeTensors.LoadAll(weightsPath);
        var module = new OnnxModule(OnnxGraph.FromModel(OnnxModelFile.Load(graphPath), graphPath, directory, weights));
        module.Eval();
        return module;
    }

    /// <summary>
    /// The graph without weights and with its real inputs only: inputs that name initializers (IR version 3) would
    /// shadow the weights kept beside it.
    /// </summary>
    private static ModelProto Structure(OnnxGraph graph)
    {
        var structure = graph.Structure.Clone();
        var real = graph.Inputs.Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
        for (int i = structure.Graph.Input.Count - 1; i >= 0; i--)
            if (!real.Contains(structure.Graph.Input[i].Name)) structure.Graph.Input.RemoveAt(i);
        return structure;
    }

    private static JsonArray Describe(IReadOnlyList<OnnxValueInfo> values)
    {
        var array = new JsonArray();
        foreach (var v in values)
        {
            var shape = new JsonArray();
            if (v.Dims != null)
                for (int i = 0; i < v.Dims.Length; i++) shape.Add(v.Dims[i] >= 0 ? JsonValue.Create(v.Dims[i]) : JsonValue.Create(v.DimNames?[i] ?? "?"));
            array.Add(new JsonObject { ["name"] = v.Name, ["type"] = v.ElementType.ToString().ToLowerInvariant(), ["shape"] = v.Dims == null ? null : shape });
        }
        return array;
    }
}
