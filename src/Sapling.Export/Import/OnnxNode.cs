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

    /// <summary>The node's name in the file; may be empty.</summary>
    public string Name { get; }
    /// <summary>The operator, e.g. "Conv" or "MatMul".</summary>
    public string OpType { get; }

    /// <summary>The operator set's domain; "" is the default ONNX one.</summary>
    public string Domain { get; }

    /// <summary>Value names; "" marks an optional input left out.</summary>
    public IReadOnlyList<string> Inputs { get; }

    /// <summary>The names of the values the node produces; "" marks an optional output left out.</summary>
    public IReadOnlyList<string> Outputs { get; }
    /// <summary>The node's attributes by name.</summary>
    public IReadOnlyDictionary<string, OnnxAttribute> Attributes { get; }

    /// <summary>"node 12 'Conv_7' (Conv)": how errors name the node.</summary>
    public string Describe() => Name.Length > 0 ? $"node {Index} '{Name}' ({OpType})" : $"node {Index} ({OpType})";

    /// <summary>Whether the node sets <paramref name="attribute"/>.</summary>
    public bool Has(string attribute) => Attributes.ContainsKey(attribute);

    /// <summary>The INT attribute's value, or <paramref name="fallback"/> when the node does not set it.</summary>
    public long Int(string attribute, long fallback) => Attributes.TryGetValue(attribute, out var a) ? a.Expect(this, AttributeProto.Types.AttributeType.Int).Int : fallback;

    /// <summary>The FLOAT attribute's value, or <paramref name="fallback"/> when the node does not set it.</summary>
    public float Float(string attribute, float fallback) => Attributes.TryGetValue(attribute, out var a) ? a.Expect(this, AttributeProto.Types.AttributeType.Float).Float : fallback;

    /// <summary>The STRING attribute's value, or null when the node does not set it.</summary>
    public string? String(string attribute) => Attributes.TryGetValue(attribute, out var a) ? a.Expect(this, AttributeProto.Types.AttributeType.String).String : null;

    /// <summary>The INTS attribute's values, or null when the node does not set it.</summary>
    public long[]? Ints(string attribute) => Attributes.TryGetValue(attribute, out var a) ? a.Expect(this, AttributeProto.Types.AttributeType.Ints).Ints : null;

    /// <summary>The FLOATS attribute's values, or null when the node does not set it.</summary>
    public float[]? Floats(string attribute) => Attributes.TryGetValue(attribute, out var a) ? a.Expect(this, AttributeProto.Types.AttributeType.Floats).Floats : null;

    /// <summary>The TENSOR attribute's value, or null when the node does not set it.</summary>
    public Tensor? Tensor(string attribute) => Attributes.TryGetValue(attribute, out var a) ? a.Expect(this, AttributeProto.Types.AttributeType.Tensor).Tensor : null;
}
