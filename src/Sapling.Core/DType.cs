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
}
