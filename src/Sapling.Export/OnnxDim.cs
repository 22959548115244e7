namespace Sapling.Export;

/// <summary>
/// One dimension of a graph input or output: a fixed size, or a named symbol (ONNX's dim_param) that runtimes treat
/// as free, which is how a dynamic batch or sequence axis is declared.
/// </summary>
public readonly record struct OnnxDim(long? Value, string? Symbol)
{
    /// <summary>A fixed size.</summary>
    public static implicit operator OnnxDim(long value) => new(value, null);
    /// <summary>A fixed size.</summary>
    public static implicit operator OnnxDim(int value) => new(value, null);
    /// <summary>A named symbolic dimension.</summary>
    public static implicit operator OnnxDim(string symbol) => new(null, symbol);

    /// <summary>The symbol, or else the fixed size.</summary>
    public override string ToString() => Symbol ?? Value!.Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
