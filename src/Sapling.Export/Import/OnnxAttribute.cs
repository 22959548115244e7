using Sapling.Export.Onnx;

namespace Sapling.Export.Import;

/// <summary>A node attribute with its value read into the field its type names.</summary>
public sealed record OnnxAttribute(string Name, AttributeProto.Types.AttributeType Type)
{
    public long Int { get; init; }
    public float Float { get; init; }
    public string? String { get; init; }
    public long[] Ints { get; init; } = [];
    public float[] Floats { get; init; } = [];
    public Tensor? Tensor { get; init; }

    internal OnnxAttribute Expect(OnnxNode node, AttributeProto.Types.AttributeType type) => Type == type
        ? this
        : throw new InvalidDataException($"{node.Describe()}: attribute '{Name}' is {Type}, expected {type}");
}
