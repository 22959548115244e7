namespace Sapling;

public static class DTypeExtensions
{
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
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "unknown dtype"),
    };

    public static bool IsFloatingPoint(this DType dtype) => dtype is DType.Float32 or DType.Float64 or DType.BFloat16 or DType.Float16;

    /// <summary>The dtypes ops compute in and autograd differentiates: float32 and float64.</summary>
    public static bool IsComputeType(this DType dtype) => dtype is DType.Float32 or DType.Float64;

    public static bool IsIndexType(this DType dtype) => dtype is DType.Int32 or DType.Int64;

    /// <summary>PyTorch spells dtypes in lower case (torch.float32); error messages use the same words.</summary>
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
        _ => dtype.ToString(),
    };
}
