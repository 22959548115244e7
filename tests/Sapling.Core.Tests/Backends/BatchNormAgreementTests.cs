using Sapling.Backends;
using Sapling.Backends.Cpu;
using Sapling.Backends.Reference;

namespace Sapling.Core.Tests.Backends;

/// <summary>Batch normalisation's three kernels (statistics, folded affine, backward) over [n, c, hw]: the CPU backend against the reference.</summary>
public class BatchNormAgreementTests
{
    private static readonly IKernels Fast = CpuKernels.Instance;
    private static readonly IKernels Reference = new ReferenceKernels();

    [Theory]
    [InlineData(1, 1, 1031, true)]
    [InlineData(32, 5, 49, true)]
    [InlineData(3, 17, 7, false)]
    [InlineData(16, 64, 196, true)]
    public void KernelsAgree(int n, int c, int hw, bool batchStatistics)
    {
        var rng = new Random(n * 1000 + c * 10 + hw);
        int count = n * c * hw;
        // An offset mean far from zero, as activations after a ReLU have: the second pass keeps the variance exact.
        var x = KernelData.Random(rng, count, offset: 5, lo: 90f, hi: 110f);
        var dy = KernelData.Random(rng, count, offset: 3);
        var gamma = KernelData.Random(rng, c, lo: 0.5f, hi: 1.5f);
        float[] meanF = new float[c], varF = new float[c], meanR = new float[c], varR = new float[c];
        Fast.ChannelMoments(x, 5, n, c, hw, meanF, varF);
        Reference.ChannelMoments(x, 5, n, c, hw, meanR, varR);
        KernelData.Close(meanR, meanF, c, 1e-6, 1e-6, "mean");
        KernelData.Close(varR, varF, c, 1e-4, 1e-6, "variance");

        var rstd = varR.Select(v => 1f / MathF.Sqrt(v + 1e-5f)).ToArray();
        var shift = KernelData.Random(rng, c);
        var yF = KernelData.Output(count);
        var yR = KernelData.Output(count);
        Fast.ChannelAffine(x, 5, rstd, shift, yF, n, c, hw);
        Reference.ChannelAffine(x, 5, rstd, shift, yR, n, c, hw);
        KernelData.Close(yR, yF, count, 1e-6, 1e-6, "affine");

        float[] dxF = new float[count], dxR = new float[count], sdF = new float[c], sdR = new float[c], sxF = new float[c], sxR = new float[c];
        Fast.BatchNormBackward(x, 5, dy, 3, meanR, rstd, gamma, dxF, sdF, sxF, n, c, hw, batchStatistics);
        Reference.BatchNormBackward(x, 5, dy, 3, meanR, rstd, gamma, dxR, sdR, sxR, n, c, hw, batchStatistics);
        KernelData.Close(sdR, sdF, c, 1e-5, 1e-4, "sum dy");
        KernelData.Close(sxR, sxF, c, 1e-4, 1e-3, "sum dy·x̂");
        KernelData.Close(dxR, dxF, count, 1e-4, 1e-5, "dx");
    }
}
