namespace Sapling.IO;

/// <summary>
/// The dtype names of the safetensors header, their element sizes, and how they map onto Sapling's dtypes.
/// </summary>
internal static class SafeTensorsDType
{
    // Hugging Face's Dtype enum, in its declared order: the serializer sorts tensors by this order (descending) so
    // that wider elements come first and stay aligned; the rank is that position. Sizes are in bytes.
    private static readonly Dictionary<string, (int Rank, int Size)> Known = new(StringComparer.Ordinal)
    {
        ["BOOL"] = (0, 1),
        ["U8"] = (1, 1),
        ["I8"] = (2, 1),
        ["F8_E5M2"] = (3, 1),
        ["F8_E4M3"] = (4, 1),
        ["I16"] = (5, 2),
        ["U16"] = (6, 2),
        ["F16"] = (7, 2),
        ["BF16"] = (8, 2),
        ["I32"] = (9, 4),
        ["U32"] = (10, 4),
        ["F32"] = (11, 4),
        ["F64"] = (12, 8),
        ["I64"] = (13, 8),
        ["U64"] = (14, 8),
    };

    public static bool IsKnown(string name) => Known.ContainsKey(name);

    public static int ElementSize(string name) => Known[name].Size;

    public static int SortRank(string name) => Known[name].Rank;

    public static string KnownNames => string.Join(", ", Known.Keys);

    public static string FromSapling(DType dtype) => dtype switch
    {
        DType.Float32 => "F32",
        DType.Float64 => "F64",
        DType.BFloat16 => "BF16",
        DType.Float16 => "F16",
        DType.Int8 => "I8",
        DType.Int32 => "I32",
        DType.Int64 => "I64",
        DType.Bool => "BOOL",
        _ when dtype.IsBlockQuantized() => throw new NotSupportedException($"dtype {dtype.Name()} is one of ggml's block formats, which safetensors cannot hold; write a GGUF file (sapling export --format gguf) or dequantise to float32 first"),
        _ => throw new NotSupportedException($"dtype {dtype.Name()} has no safetensors name"),
    };

    /// <summary>
    /// The Sapling dtype a stored dtype loads as when the caller names none: itself where Sapling has it, otherwise
    /// the narrowest Sapling dtype that holds every value (small
    /// unsigned and 16-bit integers widen to int32, U32 to int64). Null where no lossless or float choice exists.
    /// </summary>
    public static DType? LoadsAs(string name) => name switch
    {
        "F32" => DType.Float32,
        "F64" => DType.Float64,
        "BF16" => DType.BFloat16,
        "I8" => DType.Int8,
        "I32" => DType.Int32,
        "I64" => DType.Int64,
        "BOOL" => DType.Bool,
        "F16" => DType.Float16,
        "U8" or "I16" or "U16" => DType.Int32,
        "U32" => DType.Int64,
        _ => null,
    };
}
