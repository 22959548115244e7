using System.Runtime.Intrinsics.X86;
using Sapling.Backends.Cpu;
using Sapling.Quantization.Ggml;

namespace Sapling.Core.Tests.Backends;

/// <summary>
/// The integer decoding path of AVX2 machines (activation quantisers, Q8_0's 16-bit products, the panels' decoders at
/// 256 bits), run here by forcing it: the same checks as <see cref="BlockQuantKernelTests"/> — against the dequantised
/// float32 product within the derived bound, against the reference kernels, one-hot read-back — and, on a machine
/// with AVX-512, the same activations' integers and scales as the 512-bit quantisers bit for bit.
/// </summary>
[Collection(SimdWidthCollection.Name)]
public class BlockQuantAvx2Tests
{
    private static readonly BlockQuantKernelTests Checks = new();

    private static void OnAvx2(Action check)
    {
        if (!Avx2.IsSupported || !Fma.IsSupported) return;
        BlockQuantKernels.ForceAvx2 = true;
        try
        {
            check();
        }
        finally
        {
            BlockQuantKernels.ForceAvx2 = false;
        }
    }

    [Theory]
    [MemberData(nameof(BlockQuantKernelTests.TypesAndRows), MemberType = typeof(BlockQuantKernelTests))]
    public void LinearMatchesTheDequantisedFloat32Weight(DType dtype, int m) => OnAvx2(() => Checks.LinearMatchesTheDequantisedFloat32Weight(dtype, m));

    [Theory]
    [MemberData(nameof(BlockQuantKernelTests.AllBlockTypes), MemberType = typeof(BlockQuantKernelTests))]
    public void FastKernelsAgreeWithTheReferenceKernels(DType dtype) => OnAvx2(() => Checks.FastKernelsAgreeWithTheReferenceKernels(dtype));

    [Theory]
    [MemberData(nameof(BlockQuantKernelTests.AllBlockTypes), MemberType = typeof(BlockQuantKernelTests))]
    public void OneHotActivationsReadBackEachWeightColumn(DType dtype) => OnAvx2(() => Checks.OneHotActivationsReadBackEachWeightColumn(dtype));

    [Theory]
    [MemberData(nameof(BlockQuantKernelTests.AllBlockTypes), MemberType = typeof(BlockQuantKernelTests))]
    public unsafe void QuantisedActivationsEqualThe512BitQuantisers(DType dtype)
    {
        if (!Avx512BW.IsSupported || !Avx2.IsSupported || !BlockQuantKernels.HasIntegerKernel(dtype)) return;
        int m = 4, k = dtype.ToGgml().BlockSize() == 256 ? 768 : 544;
        var x = BlockQuantKernelTests.Activations(m, k, 60 + (int)dtype);
        (short[] Values, sbyte[] Bytes, short[] Sums16, float[] Scales, float[] Sums) Take(bool avx2)
        {
            BlockQuantKernels.ForceAvx2 = avx2;
            try
            {
                fixed (float* px = x)
                {
                    var q = BlockQuantKernels.Quantize(px, m, k, dtype);
                    int pieces = m * k / 32;
                    return (new Span<short>(q.Values, m * k).ToArray(), new Span<sbyte>(q.Bytes, m * k).ToArray(),
                        new Span<short>(q.BlockSums, m * k / 16).ToArray(), new Span<float>(q.Scales, pieces).ToArray(), new Span<float>(q.Sums, pieces).ToArray());
                }
            }
            finally
            {
                BlockQuantKernels.ForceAvx2 = false;
            }
        }
        var wide = Take(avx2: false);
        var narrow = Take(avx2: true);
        Assert.Equal(wide.Values, narrow.Values);
        Assert.Equal(wide.Bytes, narrow.Bytes);
        Assert.Equal(wide.Sums16, narrow.Sums16);
        Assert.Equal(wide.Scales, narrow.Scales);
        Assert.Equal(wide.Sums, narrow.Sums);
    }
}
