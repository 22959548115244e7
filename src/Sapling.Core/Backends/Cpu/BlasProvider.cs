namespace Sapling.Backends.Cpu;

/// <summary>Which matrix-multiply implementation runs: the managed kernel, OpenBLAS, or OpenBLAS when it is installed.</summary>
public enum BlasProvider
{
    /// <summary>
    /// OpenBLAS where it is installed and the managed kernel has no AVX-512 path, the managed kernel otherwise;
    /// single-row products always run on the managed kernel.
    /// </summary>
    Auto,
    /// <summary>The managed SIMD kernel, always available.</summary>
    Managed,
    /// <summary>OpenBLAS (libopenblas.so.0); requesting it where it cannot be loaded fails at once.</summary>
    OpenBlas,
}
