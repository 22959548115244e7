namespace Sapling.Export;

/// <summary>
/// One dimension of a graph input or output: a fixed size, or a named symbol (ONNX's dim_param) that runtimes treat
/// as free, which is how a dynamic batch or sequence axis is declared.
/// </summary>
public readonly record struct OnnxDim(long? Value, string? Symbol)
{
    public static implicit operator OnnxDim(long value) => new(value, null);
    public static implicit operator OnnxDim(int value) => new(value, null);
    public static implicit operator OnnxDim(string symbol) => new(null, symbol);

    public override string ToString() => Symbol ?? Value!.Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
