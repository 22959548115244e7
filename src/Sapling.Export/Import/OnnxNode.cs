using Sapling.Export.Onnx;

namespace Sapling.Export.Import;

/// <summary>
/// One operator application of an imported graph, its attributes already typed. Attribute getters refuse a value of
/// the wrong kind by naming the node and the attribute.
/// </summary>
public sealed class OnnxNode
{
    internal OnnxNode(int index, string name, string opType, string domain, string[] inputs, string[] outputs, IReadOnlyDictionary<string, OnnxAttribute> attributes)
    {
        (Index, Name, OpType, Domain, Inputs, Outputs, Attributes) = (index, name, opType, domain, inputs, outputs, attributes);
    }

    /// <summary>Position in the graph's node list (topological order).</summary>
    public int Index { get; }

    public string Name { get; }
    public string OpType { get; }

    /// <summary>The operator set's domain; "" is the default ONNX one.</summary>
    public string Domain { get; }

    /// <summary>Value names; "" marks an optional input left out.</summary>
    public IReadOnlyList<string> Inputs { get; }

    public IReadOnlyList<string> Outputs { get; }
    public IReadOnlyDictionary<string, OnnxAttribute> Attributes { get; }

    /// <summary>"node 12 'Conv_7' (Conv)": how errors name the node.</summary>
    public string Describe() => Name.Length > 0 ? $"node {Index} '{Name}' ({OpType})" : $"node {Index} ({OpType})";

    public bool Has(string attribute) => Attributes.ContainsKey(attribute);

    public long Int(string attribute, long fallback) => Attributes.TryGetValue(attribute, out var a) ? a.Expect(this, AttributeProto.Types.AttributeType.Int).Int : fallback;

    public float Float(string attribute, float fallback) => Attributes.TryGetValue(attribute, out var a) ? a.Expect(this, AttributeProto.Types.AttributeType.Float).Float : fallback;

    public string? String(string attribute) => Attributes.TryGetValue(attribute, out var a) ? a.Expect(this, AttributeProto.Types.AttributeType.String).String : null;

    public long[]? Ints(string attribute) => Attributes.TryGetValue(attribute, out var a) ? a.Expect(this, AttributeProto.Types.AttributeType.Ints).Ints : null;

    public float[]? Floats(string attribute) => Attributes.TryGetValue(attribute, out var a) ? a.Expect(this, AttributeProto.Types.AttributeType.Floats).Floats : null;

    public Tensor? Tensor(string attribute) => Attributes.TryGetValue(attribute, out var a) ? a.Expect(this, AttributeProto.Types.AttributeType.Tensor).Tensor : null;
}
