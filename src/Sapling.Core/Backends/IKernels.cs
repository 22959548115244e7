namespace Sapling.Backends;

/// <summary>
/// The backend seam: the float32 kernels that tensor ops run (<see cref="IComputeKernels{T}"/> over float), with
/// the data movement and int8 kernels that only float32 storage needs. <see cref="Cpu.CpuKernels"/> is the fast one,
/// <see cref="Reference.ReferenceKernels"/> the scalar oracle that tests compare it with.
/// </summary>
/// <remarks>
/// Data movement (strided copies, indexing, dtype conversion) and the int8 kernels are declared in
/// <c>IKernels.DataMovement.cs</c> and <c>IKernels.Int8.cs</c>. Comparisons and random-number creation stay in the
/// tensor layer.
/// </remarks>
public partial interface IKernels : IComputeKernels<float>
{
}
