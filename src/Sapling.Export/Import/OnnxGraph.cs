using Sapling.Export.Onnx;

namespace Sapling.Export.Import;

/// <summary>
/// An ONNX model read and checked: its nodes in topological order with typed attributes, its constant tensors
/// (initializers), and the inputs a caller feeds and the outputs it gets. Everything a later step relies on is checked
/// here, so a malformed file is refused with the file, the node or tensor, and the reason: values used before they are
/// made, names made twice, sizes that disagree with the bytes present, external data outside the model's folder, and
/// the parts of the format Sapling does not run (sparse initializers, model-local functions, subgraphs).
/// </summary>
public sealed class OnnxGraph
{
    /// <summary>The oldest default-domain operator set read: older sets differ in broadcasting and attributes.</summary>
    public const long MinOpset = 7;

    /// <summary>The newest operator set whose operators' semantics this importer was written against.</summary>
    public const long MaxOpset = 21;

    private OnnxGraph(ModelProto structure, string source, long opset, string producer, List<OnnxNode> nodes, Dictionary<string, Tensor> initializers, List<OnnxValueInfo> inputs, List<OnnxValueInfo> outputs, Dictionary<string, string> metadata)
    {
        (Structure, Source, Opset, Producer, Nodes, Initializers, Inputs, Outputs, Metadata) = (structure, source, opset, producer, nodes, initializers, inputs, outputs, metadata);
    }

    /// <summary>The model as read, its initializers taken out (they live on as <see cref="Initializers"/>): what a model folder's model.onnx keeps.</summary>
    internal ModelProto Structure { get; }

    /// <summary>The file the graph came from, for messages.</summary>
    public string Source { get; }

    /// <summary>The default domain's operator set version.</summary>
    public long Opset { get; }

    /// <summary>producer_name and producer_version, e.g. "pytorch 1.13".</summary>
    public string Producer { get; }

    /// <summary>The operator nodes, in topological order.</summary>
    public IReadOnlyList<OnnxNode> Nodes { get; }

    /// <summary>Constant tensors by name, in file order (weights, batch-norm statistics, shape constants).</summary>
    public IReadOnlyDictionary<string, Tensor> Initializers { get; }

    /// <summary>The inputs a caller feeds (graph inputs that are not initializers).</summary>
    public IReadOnlyList<OnnxValueInfo> Inputs { get; }

    /// <summary>The graph outputs, in file order.</summary>
    public IReadOnlyList<OnnxValueInfo> Outputs { get; }
    /// <summary>The model's metadata_props key-value pairs.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Reads an .onnx file; tensors stored as external data are read from files in the same folder.</summary>
    public static OnnxGraph Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"ONNX model '{path}' does not exist", path);
        var length = new FileInfo(path).Length;
        // Protobuf messages stop at 2 GiB; larger models keep their weights as external data and stay below it.
        if (length >= int.MaxValue) throw new InvalidDataException($"{path}: {length} bytes, past protobuf's 2 GiB limit for one message (models this large keep their weights as ONNX external data)");
        return FromModel(OnnxModelFile.Load(path), path, Path.GetDirectoryName(Path.GetFullPath(path)));
    }

    /// <summary>
    /// Checks and types a parsed model; <paramref name="dataDirectory"/> is where external data lives (null: none
    /// allowed). <paramref name="weights"/> supplies initializers kept outside the graph (a model folder's
    /// model.safetensors); the graph's own may not repeat their names. The model's initializer list is emptied: the
    /// tensors now hold the values.
    /// </summary>
    public static OnnxGraph FromModel(ModelProto model, string source, string? dataDirectory, IReadOnlyDictionary<string, Tensor>? weights = null)
    {
        if (model.Graph == null) throw new InvalidDataException($"{source}: the model has no graph (not an ONNX model, or an empty file)");
        if (model.IrVersion < 3) throw new InvalidDataException($"{source}: IR version {model.IrVersion}; ONNX files from IR version 3 (ONNX 1.0) on are read");
        if (model.Functions.Count > 0) throw new NotSupportedException($"{source}: the model defines {model.Functions.Count} local function(s), which Sapling's ONNX import does not run");
        long opset = -1;
        foreach (var set in model.OpsetImport)
            if (set.Domain is "" or "ai.onnx") opset = set.Version;
        if (opset < 0) throw new InvalidDataException($"{source}: the model imports no default-domain (ai.onnx) operator set");
        if (opset < MinOpset || opset > MaxOpset)
            throw new NotSupportedException($"{source}: operator set {opset}; Sapling's ONNX import reads opsets {MinOpset} to {MaxOpset}");
        var g = model.Graph;
        if (g.SparseInitializer.Count > 0) throw new NotSupportedException($"{source}: the graph has {g.SparseInitializer.Count} sparse initializer(s), which Sapling's ONNX import does not read");

        var initializers = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        if (weights != null)
            foreach (var (name, value) in weights) initializers[name] = value;
        foreach (var t in g.Initializer)
        {
            if (string.IsNullOrEmpty(t.Name)) throw new InvalidDataException($"{source}: an initializer has no name");
            if (initializers.ContainsKey(t.Name)) throw new InvalidDataException($"{source}: initializer '{t.Name}' is defined twice");
            initializers[t.Name] = OnnxTensorReader.Read(t, $"initializer '{t.Name}'", source, dataDirectory);
        }
        g.Initializer.Clear();

        var defined = new HashSet<string>(initializers.Keys, StringComparer.Ordinal);
        var inputs = new List<OnnxValueInfo>();
        foreach (var v in g.Input)
        {
            // Before IR version 4 initializers were also listed as inputs; those keep their stored value.
            if (initializers.ContainsKey(v.Name)) continue;
            if (string.IsNullOrEmpty(v.Name)) throw new InvalidDataException($"{source}: a graph input has no name");
            if (!defined.Add(v.Name)) throw new InvalidDataException($"{source}: graph input '{v.Name}' is defined twice");
            inputs.Add(ValueInfo(v, "input", source));
        }

        var nodes = new List<OnnxNode>(g.Node.Count);
        for (int i = 0; i < g.Node.Count; i++)
        {
            var n = g.Node[i];
            var node = new OnnxNode(i, n.Name, n.OpType, n.Domain == "ai.onnx" ? "" : n.Domain, n.Input.ToArray(), n.Output.ToArray(), ReadAttributes(n, i, source, dataDirectory));
            if (string.IsNullOrEmpty(n.OpType)) throw new InvalidDataException($"{source}: node {i} '{n.Name}' has no op_type");
            foreach (var name in n.Input)
                if (name.Length > 0 && !defined.Contains(name))
                    throw new InvalidDataException($"{source}: {node.Describe()} reads '{name}', which no earlier node, input or initializer defines (nodes must be in topological order)");
            foreach (var name in n.Output)
                if (name.Length > 0 && !defined.Add(name))
                    throw new InvalidDataException($"{source}: {node.Describe()} writes '{name}', which is already defined");
            nodes.Add(node);
        }

        var outputs = new List<OnnxValueInfo>();
        foreach (var v in g.Output)
        {
            if (!defined.Contains(v.Name)) throw new InvalidDataException($"{source}: graph output '{v.Name}' is not produced by any node, input or initializer");
            outputs.Add(ValueInfo(v, "output", source));
        }
        if (outputs.Count == 0) throw new InvalidDataException($"{source}: the graph has no outputs");

        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var entry in model.MetadataProps) metadata[entry.Key] = entry.Value;
        var producer = $"{model.ProducerName} {model.ProducerVersion}".Trim();
        return new OnnxGraph(model, source, opset, producer, nodes, initializers, inputs, outputs, metadata);
    }

    private static OnnxValueInfo ValueInfo(ValueInfoProto v, string role, string source)
    {
        var type = v.Type?.TensorType;
        if (v.Type != null && type == null) throw new NotSupportedException($"{source}: graph {role} '{v.Name}' is not a tensor (sequences, maps and optionals are not supported)");
        var element = (OnnxElementType)(type?.ElemType ?? 0);
        if (type?.Shape == null) return new OnnxValueInfo(v.Name, element, null, null);
        var dims = new long[type.Shape.Dim.Count];
        var names = new string?[dims.Length];
        for (int i = 0; i < dims.Length; i++)
        {
            var d = type.Shape.Dim[i];
            if (d.ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue)
            {
                if (d.DimValue < 0 || d.DimValue > int.MaxValue) throw new InvalidDataException($"{source}: graph {role} '{v.Name}' has dimension {i} of size {d.DimValue}");
                dims[i] = d.DimValue;
            }
            else
            {
                dims[i] = -1;
                names[i] = d.ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimParam ? d.DimParam : null;
            }
        }
        return new OnnxValueInfo(v.Name, element, dims, names);
    }

    private static Dictionary<string, OnnxAttribute> ReadAttributes(NodeProto n, int index, string source, string? dataDirectory)
    {
        var result = new Dictionary<string, OnnxAttribute>(StringComparer.Ordinal);
        string where = $"node {index} '{n.Name}' ({n.OpType})";
        foreach (var a in n.Attribute)
        {
            if (!string.IsNullOrEmpty(a.RefAttrName)) throw new NotSupportedException($"{source}: {where}: attribute '{a.Name}' refers to a function attribute, which is only valid inside a function");
            var type = a.Type;
            if (type == AttributeProto.Types.AttributeType.Undefined) type = InferType(a);
            var attribute = type switch
            {
                AttributeProto.Types.AttributeType.Float => new OnnxAttribute(a.Name, type) { Float = a.F },
                AttributeProto.Types.AttributeType.Int => new OnnxAttribute(a.Name, type) { Int = a.I },
                AttributeProto.Types.AttributeType.String => new OnnxAttribute(a.Name, type) { String = a.S.ToStringUtf8() },
                AttributeProto.Types.AttributeType.Floats => new OnnxAttribute(a.Name, type) { Floats = a.Floats.ToArray() },
                AttributeProto.Types.AttributeType.Ints => new OnnxAttribute(a.Name, type) { Ints = a.Ints.ToArray() },
                AttributeProto.Types.AttributeType.Tensor when a.T != null => new OnnxAttribute(a.Name, type) { Tensor = OnnxTensorReader.Read(a.T, $"{where} attribute '{a.Name}'", source, dataDirectory) },
                AttributeProto.Types.AttributeType.Strings => new OnnxAttribute(a.Name, type),
                AttributeProto.Types.AttributeType.Graph or AttributeProto.Types.AttributeType.Graphs
                    => throw new NotSupportedException($"{source}: {where} has subgraph attribute '{a.Name}'; control flow (If, Loop, Scan) is not supported by Sapling's ONNX import"),
                _ => throw new NotSupportedException($"{source}: {where}: attribute '{a.Name}' has type {type}, which Sapling's ONNX import does not read"),
            };
            if (!result.TryAdd(a.Name, attribute)) throw new InvalidDataException($"{source}: {where} sets attribute '{a.Name}' twice");
        }
        return result;
    }

    /// <summary>Very old writers left the type out; it follows from the one value field that is set.</summary>
    private static AttributeProto.Types.AttributeType InferType(AttributeProto a) =>
        a.HasF ? AttributeProto.Types.AttributeType.Float
        : a.HasI ? AttributeProto.Types.AttributeType.Int
        : a.HasS ? AttributeProto.Types.AttributeType.String
        : a.T != null ? AttributeProto.Types.AttributeType.Tensor
        : a.Floats.Count > 0 ? AttributeProto.Types.AttributeType.Floats
        : a.Ints.Count > 0 ? AttributeProto.Types.AttributeType.Ints
        : a.HasG || a.Graphs.Count > 0 ? AttributeProto.Types.AttributeType.Graph
        : AttributeProto.Types.AttributeType.Undefined;
}
