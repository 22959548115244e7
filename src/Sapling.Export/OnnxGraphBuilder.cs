using Sapling.Export.Onnx;

namespace Sapling.Export;

/// <summary>
/// Builds one ONNX graph in topological order: every <see cref="Node(string, string[], string, AttributeProto[])"/> call appends a node whose inputs already
/// exist, and returns the name of its output. Value names are made unique here, so exporters name values after
/// the module they come from (its state-dict path) without keeping count.
/// </summary>
internal sealed class OnnxGraphBuilder
{
    private readonly GraphProto graph;
    private readonly HashSet<string> names = new(StringComparer.Ordinal);

    public OnnxGraphBuilder(string name) => graph = new GraphProto { Name = name };

    public GraphProto Graph => graph;

    public void Input(string name, TensorProto.Types.DataType type, params OnnxDim[] dims)
    {
        Claim(name);
        graph.Input.Add(ValueInfo(name, type, dims));
    }

    /// <summary>Declares <paramref name="value"/> as a graph output under <paramref name="name"/> (an Identity node renames it when needed).</summary>
    public void Output(string value, string name, TensorProto.Types.DataType type, params OnnxDim[] dims)
    {
        if (value != name)
        {
            Claim(name);
            graph.Node.Add(NewNode("Identity", [value], [name], name, []));
        }
        graph.Output.Add(ValueInfo(name, type, dims));
    }

    /// <summary>A float32 weight under its state-dict name.</summary>
    public string Weight(string name, Tensor tensor)
    {
        Claim(name);
        graph.Initializer.Add(OnnxTensors.Float(name, tensor));
        return name;
    }

    /// <summary>A weight matrix [out, in] stored transposed, [in, out], for MatMul (any float dtype or storage).</summary>
    public string TransposedWeight(string hint, Tensor weight)
    {
        var name = Unique(hint);
        graph.Initializer.Add(OnnxTensors.Float(name, weight, transpose: true));
        return name;
    }

    public string Floats(string hint, float[] values, params long[] dims)
    {
        var name = Unique(hint);
        graph.Initializer.Add(OnnxTensors.Float(name, values, dims));
        return name;
    }

    public string Int64s(string hint, long[] values, params long[] dims)
    {
        var name = Unique(hint);
        graph.Initializer.Add(OnnxTensors.Int64(name, values, dims));
        return name;
    }

    /// <summary>A 0-d float constant.</summary>
    public string Scalar(string hint, float value) => Floats(hint, [value]);

    /// <summary>A 0-d int64 constant.</summary>
    public string Scalar(string hint, long value) => Int64s(hint, [value]);

    public string Node(string opType, string[] inputs, string outputHint, params AttributeProto[] attributes) =>
        Node(opType, inputs, outputHint, 1, attributes)[0];

    public string[] Node(string opType, string[] inputs, string outputHint, int outputs, params AttributeProto[] attributes)
    {
        var outs = Enumerable.Range(0, outputs).Select(i => Unique(outputs == 1 ? outputHint : $"{outputHint}_{i}")).ToArray();
        graph.Node.Add(NewNode(opType, inputs, outs, outs[0], attributes));
        return outs;
    }

    private static NodeProto NewNode(string opType, string[] inputs, string[] outputs, string name, AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = opType, Name = $"{name}/{opType}" };
        node.Input.AddRange(inputs);
        node.Output.AddRange(outputs);
        node.Attribute.AddRange(attributes);
        return node;
    }

    private static ValueInfoProto ValueInfo(string name, TensorProto.Types.DataType type, OnnxDim[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var d in dims)
            shape.Dim.Add(d.Symbol != null ? new TensorShapeProto.Types.Dimension { DimParam = d.Symbol } : new TensorShapeProto.Types.Dimension { DimValue = d.Value!.Value });
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } },
        };
    }

    private void Claim(string name)
    {
        if (!names.Add(name)) throw new InvalidOperationException($"ONNX export: the value name '{name}' is used twice");
    }

    private string Unique(string hint)
    {
        if (names.Add(hint)) return hint;
        for (int i = 1; ; i++)
        {
            var name = $"{hint}_{i}";
            if (names.Add(name)) return name;
        }
    }
}
