namespace Sapling.Export.Import;

/// <summary>What an operator implementation sees: its node, its input values (null for an optional input left out), the opset, and the mode.</summary>
internal sealed class OnnxOpContext
{
    public OnnxOpContext(OnnxNode node, Tensor?[] inputs, long opset, bool training)
    {
        (Node, Inputs, Opset, Training) = (node, inputs, opset, training);
    }

    public OnnxNode Node { get; }
    public Tensor?[] Inputs { get; }
    public long Opset { get; }

    /// <summary>True when the module is in training mode (batch normalisation uses and updates batch statistics).</summary>
    public bool Training { get; }

    public int Count => Inputs.Length;

    public Tensor Input(int i) => i < Inputs.Length && Inputs[i] != null
        ? Inputs[i]!
        : throw Error($"input {i} is required but missing");

    public Tensor? Optional(int i) => i < Inputs.Length ? Inputs[i] : null;

    /// <summary>An integer input read on the host (shapes, axes, pads, split sizes).</summary>
    public long[] Longs(int i)
    {
        var t = Input(i);
        if (t.DType is not (DType.Int64 or DType.Int32)) throw Error($"input {i} must be an integer tensor, got {t.DType.Name()}");
        return t.DType == DType.Int64 ? t.Contiguous().ToArray<long>() : Array.ConvertAll(t.Contiguous().ToArray<int>(), v => (long)v);
    }

    /// <summary>An input that must be a single number (a scalar or one-element tensor), as a double.</summary>
    public double Scalar(int i)
    {
        var t = Input(i);
        if (t.NumEl != 1) throw Error($"input {i} must hold one value, got shape {ShapeUtil.Format(t.Shape.ToArray())}");
        return t.DType switch
        {
            DType.Int64 => t.Contiguous().ToArray<long>()[0],
            DType.Bool => t.Contiguous().ToArray<bool>()[0] ? 1 : 0,
            _ => t.To(DType.Float64).Contiguous().ToArray<double>()[0],
        };
    }

    /// <summary>A dimension index as ONNX gives it (negative counts from the end), checked against the rank.</summary>
    public int Axis(long axis, int rank)
    {
        long a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a >= rank) throw Error($"axis {axis} is out of range for a rank-{rank} tensor");
        return (int)a;
    }

    public InvalidDataException Error(string message) => new($"{Node.Describe()}: {message}");

    public NotSupportedException Unsupported(string what) => new($"{Node.Describe()}: {what} is not supported by Sapling's ONNX import");
}
