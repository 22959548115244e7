using Sapling.Quantization.Ggml;

namespace Sapling;

/// <summary>Facts about each <see cref="DType"/>: sizes, categories, ggml equivalents and printed names.</summary>
public static class DTypeExtensions
{
    /// <summary>Bytes per element; block-quantised types have none (see <see cref="StorageBytes"/>).</summary>
    public static int ElementSize(this DType dtype) => dtype switch
    {
        DType.Float32 => 4,
        DType.Float64 => 8,
        DType.BFloat16 => 2,
        DType.Float16 => 2,
        DType.Int8 => 1,
        DType.Int32 => 4,
        DType.Int64 => 8,
        DType.Bool => 1,
        _ when dtype.IsBlockQuantized() => throw new NotSupportedException($"{dtype.Name()} stores blocks of {dtype.ToGgml().BlockSize()} elements, not single elements"),
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "unknown dtype"),
    };

    /// <summary>
    /// Bytes that <paramref name="elements"/> consecutive elements take: elements × size, or whole blocks for the
    /// block-quantised types (a count that is not a whole number of blocks is refused).
    /// </summary>
    public static long StorageBytes(this DType dtype, long elements) =>
        dtype.IsBlockQuantized() ? dtype.ToGgml().ByteCount(elements) : elements * dtype.ElementSize();

    /// <summary>True for float32, float64, bfloat16 and float16; the block-quantised types are not included.</summary>
    public static bool IsFloatingPoint(this DType dtype) => dtype is DType.Float32 or DType.Float64 or DType.BFloat16 or DType.Float16;

    /// <summary>ggml's block-quantised weight formats (Q8_0, Q4_K, ...).</summary>
    public static bool IsBlockQuantized(this DType dtype) => dtype is >= DType.Q4_0 and <= DType.Q6_K;

    /// <summary>The dtypes ops compute in and autograd differentiates: float32 and float64.</summary>
    public static bool IsComputeType(this DType dtype) => dtype is DType.Float32 or DType.Float64;

    /// <summary>True for int32 and int64, the dtypes accepted as indices (e.g. embedding ids).</summary>
    public static bool IsIndexType(this DType dtype) => dtype is DType.Int32 or DType.Int64;

    /// <summary>ggml's number for the same format (block types, float32, float16, bfloat16).</summary>
    public static GgmlType ToGgml(this DType dtype) => dtype switch
    {
        DType.Float32 => GgmlType.F32,
        DType.Float16 => GgmlType.F16,
        DType.BFloat16 => GgmlType.BF16,
        DType.Q4_0 => GgmlType.Q4_0,
        DType.Q4_1 => GgmlType.Q4_1,
        DType.Q5_0 => GgmlType.Q5_0,
        DType.Q5_1 => GgmlType.Q5_1,
        DType.Q8_0 => GgmlType.Q8_0,
        DType.Q2_K => GgmlType.Q2_K,
        DType.Q3_K => GgmlType.Q3_K,
        DType.Q4_K => GgmlType.Q4_K,
        DType.Q5_K => GgmlType.Q5_K,
        DType.Q6_K => GgmlType.Q6_K,
        _ => throw new NotSupportedException($"{dtype.Name()} has no ggml type"),
    };

    /// <summary>PyTorch spells dtypes in lower case (torch.float32); error messages use the same words, and ggml's names for its block types ("q4_K").</summary>
    public static string Name(this DType dtype) => dtype switch
    {
        DType.Float32 => "float32",
        DType.Float64 => "float64",
        DType.BFloat16 => "bfloat16",
        DType.Float16 => "float16",
        DType.Int8 => "int8",
        DType.Int32 => "int32",
        DType.Int64 => "int64",
        DType.Bool => "bool",
        _ when dtype.IsBlockQuantized() => dtype.ToGgml().Name(),
        _ => dtype.ToString(),
    };
}
