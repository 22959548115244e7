using System.Runtime.InteropServices;

namespace Sapling.Backends.Cpu;

/// <summary>
/// Optional OpenBLAS binding. The library is probed once; when it is missing every member stays
/// usable and <see cref="IsAvailable"/> is false, so callers can fall back to <see cref="ManagedGemm"/>.
/// </summary>
/// <remarks>
/// Calls go through raw unmanaged function pointers taken from the export table: every argument
/// is blittable, so there is no marshalling stub between managed code and the BLAS kernel.
/// </remarks>
public static unsafe class OpenBlasNative
{
    private const int CblasRowMajor = 101;
    private const int CblasNoTrans = 111;
    private const int CblasTrans = 112;

    private static readonly string[] Candidates =
    [
        "libopenblas.so.0",
        "/usr/lib/x86_64-linux-gnu/libopenblas.so.0",
        "/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so.0",
        "/usr/lib/x86_64-linux-gnu/openblas-openmp/libopenblas.so.0",
        "/usr/lib/aarch64-linux-gnu/libopenblas.so.0",
        "/usr/lib/aarch64-linux-gnu/openblas-pthread/libopenblas.so.0",
        "libopenblas.so",
        "libopenblas.dylib",
        "libopenblas.dll",
        "openblas",
    ];

    private static readonly delegate* unmanaged<int, int, int, int, int, int, float, float*, int, float*, int, float, float*, int, void> s_sgemm;
    private static readonly delegate* unmanaged<int, void> s_setNumThreads;
    private static readonly delegate* unmanaged<int> s_getNumThreads;

    static OpenBlasNative()
    {
        nint handle = TryLoadLibrary();
        if (handle == 0)
            return;

        s_sgemm = (delegate* unmanaged<int, int, int, int, int, int, float, float*, int, float*, int, float, float*, int, void>)TryGetExport(handle, "cblas_sgemm");
        s_setNumThreads = (delegate* unmanaged<int, void>)TryGetExport(handle, "openblas_set_num_threads");
        s_getNumThreads = (delegate* unmanaged<int>)TryGetExport(handle, "openblas_get_num_threads");
    }

    /// <summary>True when an OpenBLAS exporting <c>cblas_sgemm</c> was found.</summary>
    public static bool IsAvailable => s_sgemm != null;

    /// <summary>OpenBLAS's own thread count, or 0 when unknown.</summary>
    public static int Threads => s_getNumThreads != null ? s_getNumThreads() : 0;

    /// <summary>Sets OpenBLAS's thread count; a no-op when the library or the export is missing.</summary>
    public static void SetThreads(int threads)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        if (s_setNumThreads != null)
            s_setNumThreads(threads);
    }

    /// <summary>Row-major <c>cblas_sgemm</c>: C = alpha·op(A)·op(B) + beta·C.</summary>
    /// <exception cref="InvalidOperationException">OpenBLAS is not available.</exception>
    public static void Sgemm(
        bool transA, bool transB, int m, int n, int k,
        float alpha, float* a, int lda, float* b, int ldb,
        float beta, float* c, int ldc)
    {
        if (s_sgemm == null)
            throw new InvalidOperationException("OpenBLAS (libopenblas.so.0) is not available.");

        s_sgemm(
            CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
            m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    }

    private static nint TryLoadLibrary()
    {
        foreach (string candidate in Candidates)
        {
            try
            {
                if (NativeLibrary.TryLoad(candidate, out nint handle))
                    return handle;
            }
            catch (Exception e) when (e is ArgumentException or BadImageFormatException)
            {
                // A malformed or foreign-architecture file is as good as absent.
            }
        }

        return 0;
    }

    private static nint TryGetExport(nint handle, string name) =>
        NativeLibrary.TryGetExport(handle, name, out nint address) ? address : 0;
}
