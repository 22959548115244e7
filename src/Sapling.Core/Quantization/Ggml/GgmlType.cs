namespace Sapling.Quantization.Ggml;

/// <summary>
/// ggml's tensor types, numbered as GGUF files store them. Block types hold <see cref="GgmlTypeInfo.BlockSize"/>
/// consecutive elements of a row in <see cref="GgmlTypeInfo.BlockBytes"/> bytes; a row is whole blocks.
/// </summary>
public enum GgmlType : uint
{
    /// <summary>32-bit float.</summary>
    F32 = 0,
    /// <summary>16-bit IEEE half float.</summary>
    F16 = 1,
    /// <summary>Blocks of 32 four-bit values with a float16 scale (18 bytes).</summary>
    Q4_0 = 2,
    /// <summary>Blocks of 32 four-bit values with a float16 scale and minimum (20 bytes).</summary>
    Q4_1 = 3,
    /// <summary>Blocks of 32 five-bit values with a float16 scale (22 bytes).</summary>
    Q5_0 = 6,
    /// <summary>Blocks of 32 five-bit values with a float16 scale and minimum (24 bytes).</summary>
    Q5_1 = 7,
    /// <summary>Blocks of 32 eight-bit values with a float16 scale (34 bytes).</summary>
    Q8_0 = 8,
    /// <summary>Blocks of 32 eight-bit values with a float16 scale and sum (36 bytes); no dtype holds it.</summary>
    Q8_1 = 9,
    /// <summary>256-element super-blocks of two-bit values with sub-block scales and minimums (84 bytes).</summary>
    Q2_K = 10,
    /// <summary>256-element super-blocks of three-bit values with sub-block scales (110 bytes).</summary>
    Q3_K = 11,
    /// <summary>256-element super-blocks of four-bit values, sub-block scales and minimums (144 bytes).</summary>
    Q4_K = 12,
    /// <summary>As <see cref="Q4_K"/> plus a fifth bit per value (176 bytes).</summary>
    Q5_K = 13,
    /// <summary>256-element super-blocks of six-bit values with 8-bit sub-block scales (210 bytes).</summary>
    Q6_K = 14,
    /// <summary>
    /// 256 eight-bit values with a float32 scale and 16-bit group sums (292 bytes); no tensor dtype holds it.
    /// </summary>
    Q8_K = 15,
    /// <summary>Signed 8-bit integers.</summary>
    I8 = 24,
    /// <summary>Signed 16-bit integers.</summary>
    I16 = 25,
    /// <summary>Signed 32-bit integers.</summary>
    I32 = 26,
    /// <summary>Signed 64-bit integers.</summary>
    I64 = 27,
    /// <summary>64-bit float.</summary>
    F64 = 28,
    /// <summary>bfloat16 (the top 16 bits of a float32).</summary>
    BF16 = 30,
}
