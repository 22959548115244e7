namespace Sapling.Backends.Reference;

/// <summary>
/// The float32 reference backend that tests compare <see cref="Cpu.CpuKernels"/> with: the compute kernels of
/// <see cref="ReferenceKernels{T}"/> over float, plus the kernels only float32 storage has (strided copies of any
/// element type, dtype conversion, index selection and int8).
/// </summary>
public sealed partial class ReferenceKernels : ReferenceKernels<float>, IKernels
{
    /// <summary>The float64 reference backend: the same formulas over double, for gradient checks in double precision.</summary>
    public static ReferenceKernels<double> Float64 { get; } = new();

    // The name tests and benchmark output have always shown for the float reference.
    /// <inheritdoc/>
    public override string Name => "reference";
}
