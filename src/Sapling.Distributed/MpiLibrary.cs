using System.Runtime.InteropServices;

namespace Sapling.Distributed;

/// <summary>
/// Open MPI's C API through function pointers into <c>libmpi.so.40</c> (Debian package openmpi-bin, via libopenmpi3).
/// In Open MPI the predefined handles (MPI_COMM_WORLD, MPI_FLOAT, MPI_SUM, …) are global structs and a handle is the
/// struct's address, so they are the addresses of the exports <c>ompi_mpi_comm_world</c> and so on; this binding is
/// therefore specific to Open MPI's ABI (MPICH's handles are integers).
/// </summary>
internal sealed unsafe class MpiLibrary
{
    public const string LibraryName = "libmpi.so.40";
    public const int Success = 0;
    public const int ThreadSerialized = 2;

    /// <summary>Open MPI's MPI_IN_PLACE is the address 1.</summary>
    public static readonly nint InPlace = 1;

    private MpiLibrary(nint handle)
    {
        InitThread = (delegate* unmanaged<int*, nint*, int, int*, int>)NativeLibrary.GetExport(handle, "MPI_Init_thread");
        Initialized = (delegate* unmanaged<int*, int>)NativeLibrary.GetExport(handle, "MPI_Initialized");
        Finalized = (delegate* unmanaged<int*, int>)NativeLibrary.GetExport(handle, "MPI_Finalized");
        FinalizeFn = (delegate* unmanaged<int>)NativeLibrary.GetExport(handle, "MPI_Finalize");
        CommRank = (delegate* unmanaged<nint, int*, int>)NativeLibrary.GetExport(handle, "MPI_Comm_rank");
        CommSize = (delegate* unmanaged<nint, int*, int>)NativeLibrary.GetExport(handle, "MPI_Comm_size");
        BarrierFn = (delegate* unmanaged<nint, int>)NativeLibrary.GetExport(handle, "MPI_Barrier");
        Bcast = (delegate* unmanaged<void*, int, nint, int, nint, int>)NativeLibrary.GetExport(handle, "MPI_Bcast");
        Allreduce = (delegate* unmanaged<void*, void*, int, nint, nint, nint, int>)NativeLibrary.GetExport(handle, "MPI_Allreduce");
        Allgather = (delegate* unmanaged<void*, int, nint, void*, int, nint, nint, int>)NativeLibrary.GetExport(handle, "MPI_Allgather");
        AbortFn = (delegate* unmanaged<nint, int, int>)NativeLibrary.GetExport(handle, "MPI_Abort");
        CommWorld = NativeLibrary.GetExport(handle, "ompi_mpi_comm_world");
        Float = NativeLibrary.GetExport(handle, "ompi_mpi_float");
        Double = NativeLibrary.GetExport(handle, "ompi_mpi_double");
        Byte = NativeLibrary.GetExport(handle, "ompi_mpi_byte");
        Long = NativeLibrary.GetExport(handle, "ompi_mpi_long");
        Sum = NativeLibrary.GetExport(handle, "ompi_mpi_op_sum");
    }

    public delegate* unmanaged<int*, nint*, int, int*, int> InitThread { get; }
    public delegate* unmanaged<int*, int> Initialized { get; }
    public delegate* unmanaged<int*, int> Finalized { get; }
    public delegate* unmanaged<int> FinalizeFn { get; }
    public delegate* unmanaged<nint, int*, int> CommRank { get; }
    public delegate* unmanaged<nint, int*, int> CommSize { get; }
    public delegate* unmanaged<nint, int> BarrierFn { get; }
    public delegate* unmanaged<void*, int, nint, int, nint, int> Bcast { get; }
    public delegate* unmanaged<void*, void*, int, nint, nint, nint, int> Allreduce { get; }
    public delegate* unmanaged<void*, int, nint, void*, int, nint, nint, int> Allgather { get; }
    public delegate* unmanaged<nint, int, int> AbortFn { get; }
    public nint CommWorld { get; }
    public nint Float { get; }
    public nint Double { get; }
    public nint Byte { get; }
    public nint Long { get; }
    public nint Sum { get; }

    private static MpiLibrary? s_loaded;
    private static string? s_failure;
    private static readonly object Gate = new();

    /// <summary>The library, or null with the reason it could not be loaded (not installed, not Open MPI).</summary>
    public static MpiLibrary? TryLoad(out string? reason)
    {
        lock (Gate)
        {
            if (s_loaded == null && s_failure == null)
            {
                if (!NativeLibrary.TryLoad(LibraryName, out var handle))
                {
                    s_failure = $"{LibraryName} was not found: install Open MPI (apt-get install openmpi-bin)";
                }
                else
                {
                    try
                    {
                        s_loaded = new MpiLibrary(handle);
                    }
                    catch (EntryPointNotFoundException e)
                    {
                        s_failure = $"{LibraryName} is not Open MPI's (missing {e.Message}); Sapling's MPI binding needs Open MPI 4 or later";
                    }
                }
            }
            reason = s_failure;
            return s_loaded;
        }
    }

    public static void Check(int code, string call)
    {
        if (code != Success) throw new InvalidOperationException($"{call} failed with MPI error code {code}");
    }
}
