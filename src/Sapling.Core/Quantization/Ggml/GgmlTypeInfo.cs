namespace Sapling.Quantization.Ggml;

/// <summary>Block geometry of each <see cref="GgmlType"/> (ggml's type traits).</summary>
public static class GgmlTypeInfo
{
    /// <summary>Elements per block: 1 for plain types, 32 for the legacy quants, 256 for the K-quants.</summary>
    public static int BlockSize(this GgmlType type) => type switch
    {
        GgmlType.F32 or GgmlType.F16 or GgmlType.BF16 or GgmlType.F64 or GgmlType.I8 or GgmlType.I16 or GgmlType.I32 or GgmlType.I64 => 1,
        GgmlType.Q4_0 or GgmlType.Q4_1 or GgmlType.Q5_0 or GgmlType.Q5_1 or GgmlType.Q8_0 or GgmlType.Q8_1 => 32,
        GgmlType.Q2_K or GgmlType.Q3_K or GgmlType.Q4_K or GgmlType.Q5_K or GgmlType.Q6_K or GgmlType.Q8_K => 256,
        _ => throw new NotSupportedException($"ggml type {(uint)type} is not known"),
    };

    /// <summary>Bytes per block.</summary>
    public static int BlockBytes(this GgmlType type) => type switch
    {
        GgmlType.F32 or GgmlType.I32 => 4,
        GgmlType.F16 or GgmlType.BF16 or GgmlType.I16 => 2,
        GgmlType.F64 or GgmlType.I64 => 8,
        GgmlType.I8 => 1,
        GgmlType.Q4_0 => 18,   // f16 d; 16 bytes of 4-bit values
        GgmlType.Q4_1 => 20,   // f16 d, m; 16 bytes
        GgmlType.Q5_0 => 22,   // f16 d; 4 bytes of fifth bits; 16 bytes
        GgmlType.Q5_1 => 24,   // f16 d, m; 4 + 16 bytes
        GgmlType.Q8_0 => 34,   // f16 d; 32 int8
        GgmlType.Q8_1 => 36,   // f16 d, s; 32 int8
        GgmlType.Q2_K => 84,
        GgmlType.Q3_K => 110,
        GgmlType.Q4_K => 144,  // f16 d, dmin; 12 bytes of 6-bit scales and mins; 128 bytes of 4-bit values
        GgmlType.Q5_K => 176,  // as Q4_K plus 32 bytes of fifth bits
        GgmlType.Q6_K => 210,  // 128 bytes low 4 bits, 64 bytes high 2 bits, 16 int8 scales, f16 d
        GgmlType.Q8_K => 292,  // f32 d; 256 int8; 16 int16 block sums
        _ => throw new NotSupportedException($"ggml type {(uint)type} is not known"),
    };

    /// <summary>Bytes of <paramref name="elements"/> elements (a whole number of blocks; refused otherwise).</summary>
    public static long ByteCount(this GgmlType type, long elements)
    {
        int block = type.BlockSize();
        if (elements % block != 0) throw new ArgumentException($"{type.Name()}: {elements} elements are not a whole number of {block}-element blocks");
        return elements / block * type.BlockBytes();
    }

    /// <summary>The name llama.cpp prints: "q4_K", "f16", "bf16".</summary>
    public static string Name(this GgmlType type) => type switch
    {
        GgmlType.Q2_K => "q2_K",
        GgmlType.Q3_K => "q3_K",
        GgmlType.Q4_K => "q4_K",
        GgmlType.Q5_K => "q5_K",
        GgmlType.Q6_K => "q6_K",
        GgmlType.Q8_K => "q8_K",
        _ => type.ToString().ToLowerInvariant(),
    };

    /// <summary>The tensor dtype that holds this type in place, or null when a tensor cannot (Q8_K, Q8_1, integer types).</summary>
    public static DType? ToDType(this GgmlType type) => type switch
    {
        GgmlType.F32 => DType.Float32,
        GgmlType.F16 => DType.Float16,
        GgmlType.BF16 => DType.BFloat16,
        GgmlType.Q4_0 => DType.Q4_0,
        GgmlType.Q4_1 => DType.Q4_1,
        GgmlType.Q5_0 => DType.Q5_0,
        GgmlType.Q5_1 => DType.Q5_1,
        GgmlType.Q8_0 => DType.Q8_0,
        GgmlType.Q2_K => DType.Q2_K,
        GgmlType.Q3_K => DType.Q3_K,
        GgmlType.Q4_K => DType.Q4_K,
        GgmlType.Q5_K => DType.Q5_K,
        GgmlType.Q6_K => DType.Q6_K,
        _ => null,
    };

    /// <summary>True for the types whose values are known by name (<see cref="Enum.IsDefined{TEnum}(TEnum)"/>).</summary>
    public static bool IsKnown(this GgmlType type) => Enum.IsDefined(type);
}
