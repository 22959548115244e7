using System.Collections.Concurrent;
using System.Reflection;
using Sapling.Backends;

namespace Sapling.Core.Tests.Backends;

/// <summary>An <see cref="IKernels"/> that records which kernel each thread called, then forwards to another backend.</summary>
public class RecordingKernels : DispatchProxy
{
    private IKernels inner = null!;

    public ConcurrentQueue<(int Thread, string Kernel)> Calls { get; } = new();

    public static (IKernels Kernels, RecordingKernels Recorder) Wrap(IKernels inner)
    {
        var kernels = Create<IKernels, RecordingKernels>();
        var recorder = (RecordingKernels)(object)kernels;
        recorder.inner = inner;
        return (kernels, recorder);
    }

    /// <summary>The kernels called from <paramref name="thread"/>, in order.</summary>
    public string[] CalledFrom(int thread) => Calls.Where(c => c.Thread == thread).Select(c => c.Kernel).ToArray();

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        ArgumentNullException.ThrowIfNull(targetMethod);
        if (targetMethod.Name != "get_Name") Calls.Enqueue((Environment.CurrentManagedThreadId, targetMethod.Name));
        try
        {
            return targetMethod.Invoke(inner, args);
        }
        catch (TargetInvocationException e) when (e.InnerException != null)
        {
            throw e.InnerException;
        }
    }
}
