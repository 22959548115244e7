using Sapling.Export.Onnx;

namespace Sapling.Export.Import;

/// <summary>A node attribute with its value read into the field its type names.</summary>
public sealed record OnnxAttribute(string Name, AttributeProto.Types.AttributeType Type)
{
    /// <summary>The value of an INT attribute.</summary>
    public long Int { get; init; }
    /// <summary>The value of a FLOAT attribute.</summary>
    public float Float { get; init; }
    /// <summary>The value of a STRING attribute, decoded as UTF-8; null for other types.</summary>
    public string? String { get; init; }
    /// <summary>The values of an INTS attribute; empty for other types.</summary>
    public long[] Ints { get; init; } = [];
    /// <summary>The values of a FLOATS attribute; empty for other types.</summary>
    public float[] Floats { get; init; } = [];
    /// <summary>The value of a TENSOR attribute (a Constant node's value); null for other types.</summary>
    public Tensor? Tensor { get; init; }

    internal OnnxAttribute Expect(OnnxNode node, AttributeProto.Types.AttributeType type) => Type == type
        ? this
        : throw new InvalidDataException($"{node.Describe()}: attribute '{Name}' is {Type}, expected {type}");
}
