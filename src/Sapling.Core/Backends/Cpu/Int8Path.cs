namespace Sapling.Backends.Cpu;

/// <summary>Which instruction set <see cref="Int8Gemm"/> multiplies with; every path gives the same int32 sums.</summary>
public enum Int8Path
{
    /// <summary>Plain C#: the reference the others are tested against.</summary>
    Scalar,

    /// <summary>AVX2: int8 sign-extended to int16, then vpmaddwd (int16 pairs into int32, which cannot saturate).</summary>
    Avx2,

    /// <summary>AVX-VNNI vpdpbusd: 4 u8×s8 products summed into each int32 lane in one instruction.</summary>
    AvxVnni,
}
