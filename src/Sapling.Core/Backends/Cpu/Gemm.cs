namespace Sapling.Backends.Cpu;

/// <summary>Single entry point for float32 GEMM; every MatMul, Linear and convolution goes through it.</summary>
public static class Gemm
{
    private static BlasProvider requested = BlasProvider.Auto;
    [ThreadStatic] private static BlasProvider? threadOverride;

    /// <summary>The requested provider. Asking for OpenBLAS where it is not installed fails here, not at the first multiply.</summary>
    public static BlasProvider Provider
    {
        get => requested;
        set
        {
            if (value == BlasProvider.OpenBlas && !OpenBlasNative.IsAvailable)
                throw new InvalidOperationException("BLAS provider 'openblas' was requested but libopenblas.so.0 could not be loaded; install it with 'apt-get install libopenblas0-pthread' or use 'managed'");
            requested = value;
        }
    }

    /// <summary>The provider actually used after resolving <see cref="BlasProvider.Auto"/>.</summary>
    public static BlasProvider Active => (threadOverride ?? requested) switch
    {
        BlasProvider.Auto => AutoUsesOpenBlas ? BlasProvider.OpenBlas : BlasProvider.Managed,
        var p => p,
    };

    /// <summary>
    /// Whether <see cref="BlasProvider.Auto"/> picks OpenBLAS: where it is installed and the managed kernel has no
    /// AVX-512 path. With AVX-512 the managed kernel measured as fast or faster in every workload (docs/benchmarks.md:
    /// GPT and CNN training, generation, ResNet-18 at parity, MiniLM 14% faster), so OpenBLAS stays the choice of AVX2
    /// machines, where it was up to 10% ahead on large products.
    /// </summary>
    internal static bool AutoUsesOpenBlas => OpenBlasNative.IsAvailable && ManagedGemm.SelectedKernel != ManagedGemm.KernelKind.Avx512;

    /// <summary>Uses <paramref name="provider"/> on this thread until the returned scope is disposed (tests compare providers side by side).</summary>
    public static IDisposable Use(BlasProvider provider)
    {
        if (provider == BlasProvider.OpenBlas && !OpenBlasNative.IsAvailable)
            throw new InvalidOperationException("BLAS provider 'openblas' was requested but libopenblas.so.0 could not be loaded");
        var previous = threadOverride;
        threadOverride = provider;
        return new Restore(previous);
    }

    private sealed class Restore(BlasProvider? previous) : IDisposable
    {
        public void Dispose() => threadOverride = previous;
    }

    /// <summary>
    /// Reads a provider name, "auto", "managed" or "openblas" (any case, surrounding spaces ignored).
    /// </summary>
    public static BlasProvider Parse(string name) => name.Trim().ToLowerInvariant() switch
    {
        "auto" => BlasProvider.Auto,
        "managed" => BlasProvider.Managed,
        "openblas" => BlasProvider.OpenBlas,
        _ => throw new ArgumentException($"unknown BLAS provider '{name}' (expected managed, openblas or auto)"),
    };

    /// <summary>Row-major C = alpha·op(A)·op(B) + beta·C, with cblas_sgemm's meaning of every argument.</summary>
    /// <remarks>
    /// Under <see cref="BlasProvider.Auto"/> a product with one row (a matrix-vector product: decoding one token) runs
    /// on the managed kernel even where OpenBLAS is installed: there it matches OpenBLAS with B as stored and is 4.5×
    /// faster with B transposed (a tied output head), measured in docs/benchmarks.md.
    /// </remarks>
    public static unsafe void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha, float* a, int lda, float* b, int ldb, float beta, float* c, int ldc)
    {
        if (m == 0 || n == 0) return;
        if (ProviderFor(m) == BlasProvider.OpenBlas)
            OpenBlasNative.Sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        else
            ManagedGemm.Sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    }

    /// <summary>The provider a product with <paramref name="m"/> rows runs on now (see <see cref="Sgemm"/>).</summary>
    internal static BlasProvider ProviderFor(int m)
    {
        var chosen = threadOverride ?? requested;
        if (chosen != BlasProvider.Auto) return chosen;
        return m > 1 && AutoUsesOpenBlas ? BlasProvider.OpenBlas : BlasProvider.Managed;
    }

    /// <summary>Always the managed kernel; used for many small products run in parallel, where OpenBLAS's own threads would fight ours.</summary>
    public static unsafe void SgemmManaged(bool transA, bool transB, int m, int n, int k, float alpha, float* a, int lda, float* b, int ldb, float beta, float* c, int ldc)
    {
        if (m == 0 || n == 0) return;
        ManagedGemm.Sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    }
}
