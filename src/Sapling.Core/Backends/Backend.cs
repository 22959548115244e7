using Sapling.Backends.Cpu;

namespace Sapling.Backends;

/// <summary>
/// Which <see cref="IKernels"/> tensor ops run on: a process-wide default, which one thread may override for a
/// while. The kernels are looked up each time an op runs, so a backward pass uses the backend that is current
/// when <c>Backward()</c> is called.
/// </summary>
public static class Backend
{
    private static IKernels processDefault = CpuKernels.Instance;
    [ThreadStatic] private static IKernels? threadOverride;

    /// <summary>The backend of every thread that has not chosen another with <see cref="Use"/>.</summary>
    public static IKernels Default
    {
        get => Volatile.Read(ref processDefault);
        set => Volatile.Write(ref processDefault, value ?? throw new ArgumentNullException(nameof(value)));
    }

    /// <summary>
    /// The kernels float64 tensors run on, whatever the float32 backend: the scalar reference kernels over double.
    /// Float64 is for checking gradients and numerics, where exactness matters and speed does not.
    /// </summary>
    public static IComputeKernels<double> Float64 => Reference.ReferenceKernels.Float64;

    /// <summary>The backend ops on this thread run on now.</summary>
    public static IKernels Current => threadOverride ?? Volatile.Read(ref processDefault);

    /// <summary>
    /// Runs this thread's ops on <paramref name="kernels"/> until the returned scope is disposed; other threads,
    /// including the CPU backend's own workers, are unaffected. Scopes nest.
    /// </summary>
    public static IDisposable Use(IKernels kernels)
    {
        ArgumentNullException.ThrowIfNull(kernels);
        var previous = threadOverride;
        threadOverride = kernels;
        return new Restore(previous);
    }

    private sealed class Restore(IKernels? previous) : IDisposable
    {
        public void Dispose() => threadOverride = previous;
    }
}
