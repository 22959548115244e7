using System.Runtime.Intrinsics;

namespace Sapling.Backends.Cpu.Simd;

/// <summary>
/// Whether the fused kernels run their 512-bit loops (then 256-bit and scalar tails) or only the 256-bit ones:
/// 512 where the processor has AVX-512, unless a width is forced. Forcing is process-wide (the kernels run on worker
/// threads too) and meant for tests, which check both widths on any machine: Vector512 runs correctly, if slowly,
/// where it is not accelerated.
/// </summary>
internal static class SimdWidth
{
    private static volatile int forcedBits;

    public static bool Use512 => forcedBits == 0 ? Vector512.IsHardwareAccelerated : forcedBits == 512;

    /// <summary>Runs every kernel at <paramref name="bits"/> (256 or 512) until the result is disposed.</summary>
    public static IDisposable Force(int bits)
    {
        if (bits is not (256 or 512)) throw new ArgumentOutOfRangeException(nameof(bits), $"SIMD width must be 256 or 512, got {bits}");
        int previous = forcedBits;
        forcedBits = bits;
        return new Restore(previous);
    }

    private sealed class Restore(int previous) : IDisposable
    {
        public void Dispose() => forcedBits = previous;
    }
}
