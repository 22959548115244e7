namespace Sapling.Export.Import;

/// <summary>
/// A graph input or output as the file declares it: element type and dimensions, a symbolic dimension (a dim_param such
/// as "batch", or none at all) as −1 with its name in <see cref="DimNames"/>. Dims is null when no shape is declared.
/// </summary>
public sealed record OnnxValueInfo(string Name, OnnxElementType ElementType, long[]? Dims, string?[]? DimNames)
{
    /// <summary>
    /// The shape for messages, e.g. "[batch, 3, 224, 224]": symbolic dimensions by name ("?" when unnamed).
    /// </summary>
    public string FormatShape() => Dims == null
        ? "(any shape)"
        : "[" + string.Join(", ", Dims.Select((d, i) => d >= 0 ? d.ToString(System.Globalization.CultureInfo.InvariantCulture) : DimNames?[i] ?? "?")) + "]";
}
