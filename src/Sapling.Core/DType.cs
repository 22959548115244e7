namespace Sapling;

/// <summary>Element types a tensor can hold. Float32 is the compute type; the others are for indices, masks and storage.</summary>
public enum DType
{
    /// <summary>32-bit IEEE float, the type ops compute in by default.</summary>
    Float32,
    /// <summary>bfloat16 (the top 16 bits of a float32), a storage type held as <c>ushort</c> bit patterns.</summary>
    BFloat16,
    /// <summary>Signed 8-bit integers (<c>sbyte</c>), e.g. the values of int8-quantized weights.</summary>
    Int8,
    /// <summary>Signed 32-bit integers; accepted as indices.</summary>
    Int32,
    /// <summary>Signed 64-bit integers, the usual index type (PyTorch's <c>torch.long</c>).</summary>
    Int64,
    /// <summary>Booleans: results of comparisons, and masks.</summary>
    Bool,
    /// <summary>Double precision, for checking gradients and numerics; it runs on the scalar reference kernels. Last, so the older values keep their numbers.</summary>
    Float64,
    /// <summary>IEEE half precision, a storage type for weights (read by matmul and embedding, widened to float32 inside the kernel).</summary>
    Float16,
    // ggml's block-quantised weight formats (llama.cpp's GGUF files): storage types for weights that linear and
    // embedding read in place, a block of 32 or 256 consecutive elements of a row at a time (see GgmlType for the
    // layouts). A tensor of these is a rank-2 weight in native or mapped memory.
    /// <summary>ggml Q4_0: blocks of 32 four-bit values sharing one float16 scale.</summary>
    Q4_0,
    /// <summary>ggml Q4_1: blocks of 32 four-bit values with a float16 scale and minimum.</summary>
    Q4_1,
    /// <summary>ggml Q5_0: blocks of 32 five-bit values sharing one float16 scale.</summary>
    Q5_0,
    /// <summary>ggml Q5_1: blocks of 32 five-bit values with a float16 scale and minimum.</summary>
    Q5_1,
    /// <summary>ggml Q8_0: blocks of 32 eight-bit values sharing one float16 scale.</summary>
    Q8_0,
    /// <summary>ggml Q2_K: 256-element super-blocks of two-bit values with sub-block scales and minimums.</summary>
    Q2_K,
    /// <summary>ggml Q3_K: 256-element super-blocks of three-bit values with 6-bit sub-block scales.</summary>
    Q3_K,
    /// <summary>ggml Q4_K: 256-element super-blocks of four-bit values with sub-block scales and minimums.</summary>
    Q4_K,
    /// <summary>ggml Q5_K: as <see cref="Q4_K"/> with a fifth bit per value.</summary>
    Q5_K,
    /// <summary>ggml Q6_K: 256-element super-blocks of six-bit values with 8-bit sub-block scales.</summary>
    Q6_K,
}
