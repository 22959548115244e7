namespace Sapling;

/// <summary>Element types a tensor can hold. Float32 is the compute type; the others are for indices, masks and storage.</summary>
public enum DType
{
    Float32,
    BFloat16,
    Int8,
    Int32,
    Int64,
    Bool,
    /// <summary>Double precision, for checking gradients and numerics; it runs on the scalar reference kernels. Last, so the older values keep their numbers.</summary>
    Float64,
    /// <summary>IEEE half precision, a storage type for weights (read by matmul and embedding, widened to float32 inside the kernel).</summary>
    Float16,
    // ggml's block-quantised weight formats (llama.cpp's GGUF files): storage types for weights that linear and
    // embedding read in place, a block of 32 or 256 consecutive elements of a row at a time (see GgmlType for the
    // layouts). A tensor of these is a rank-2 weight in native or mapped memory.
    Q4_0,
    Q4_1,
    Q5_0,
    Q5_1,
    Q8_0,
    Q2_K,
    Q3_K,
    Q4_K,
    Q5_K,
    Q6_K,
}
