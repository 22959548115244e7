using System.Runtime.Intrinsics;

namespace Sapling.Backends.Cpu;

/// <summary>
/// The theoretical fp32 throughput used to report utilisation: threads × clock × FLOPs per cycle (two FMA units at
/// the widest vector width the runtime accelerates: 64 with AVX-512, 32 with AVX2). The clock is an assumption,
/// since a VM does not report its turbo frequency.
/// </summary>
public static class MachinePeak
{
    /// <summary>The clock assumed when none is given, in GHz.</summary>
    public const double DefaultGhz = 3.5;

    /// <summary>
    /// Peak fp32 GFLOP/s of <paramref name="threads"/> cores at <paramref name="ghz"/> GHz: 64 FLOPs per cycle with
    /// AVX-512, 32 with AVX2, 8 otherwise.
    /// </summary>
    public static double Gflops(int threads, double ghz = DefaultGhz)
        => threads * ghz * (Vector512.IsHardwareAccelerated ? 64 : Vector256.IsHardwareAccelerated ? 32 : 8);
}
