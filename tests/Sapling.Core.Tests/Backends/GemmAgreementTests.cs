using Sapling.Backends;
using Sapling.Backends.Cpu;
using Sapling.Backends.Reference;

namespace Sapling.Core.Tests.Backends;

/// <summary>The CPU backend's GEMM (with each provider) against the reference, with offsets, padded leading dimensions, alpha and beta.</summary>
public class GemmAgreementTests
{
    private static readonly IKernels Fast = CpuKernels.Instance;
    private static readonly IKernels Reference = new ReferenceKernels();

    public static TheoryData<string, int, int, int, bool, bool> Cases()
    {
        var data = new TheoryData<string, int, int, int, bool, bool>();
        foreach (var provider in new[] { "managed", "openblas" })
            foreach (var (m, n, k) in new[] { (1, 1, 1), (7, 17, 33), (65, 7, 1), (3, 1031, 17), (33, 65, 1031), (130, 97, 65) })
                foreach (bool ta in new[] { false, true })
                    foreach (bool tb in new[] { false, true })
                        data.Add(provider, m, n, k, ta, tb);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void SgemmAgrees(string provider, int m, int n, int k, bool transA, bool transB)
    {
        if (!Available(provider)) return;
        using var _ = Gemm.Use(Gemm.Parse(provider));
        var rng = new Random(m * 7919 + n * 31 + k);
        // Leading dimensions wider than the matrices, and operands that start part-way into their arrays.
        int lda = (transA ? m : k) + 3, ldb = (transB ? k : n) + 2, ldc = n + 4;
        var a = KernelData.Random(rng, (transA ? k : m) * lda, offset: 5);
        var b = KernelData.Random(rng, (transB ? n : k) * ldb, offset: 2);
        var c0 = KernelData.Output(m * ldc);
        for (int i = 0; i < m * ldc; i++) c0[i] = rng.NextSingle() - 0.5f;
        var expected = (float[])c0.Clone();
        var actual = (float[])c0.Clone();
        Reference.Gemm(transA, transB, m, n, k, 0.75f, a, 5, lda, b, 2, ldb, -0.5f, expected, 0, ldc);
        Fast.Gemm(transA, transB, m, n, k, 0.75f, a, 5, lda, b, 2, ldb, -0.5f, actual, 0, ldc);
        // The error of a float dot product grows with its length; the values are O(√k).
        KernelData.Close(expected, actual, m * ldc, 1e-5, 2e-6 * k, $"sgemm {provider} m={m} n={n} k={k} transA={transA} transB={transB}");
    }

    [Theory]
    [InlineData("managed")]
    [InlineData("openblas")]
    public void BetaZeroIgnoresWhatCHeld(string provider)
    {
        if (!Available(provider)) return;
        using var _ = Gemm.Use(Gemm.Parse(provider));
        var rng = new Random(1);
        var a = KernelData.Random(rng, 7 * 17);
        var b = KernelData.Random(rng, 17 * 33);
        var expected = KernelData.Output(7 * 33);
        var actual = KernelData.Output(7 * 33);
        Array.Fill(expected, float.NaN, 0, 7 * 33);
        Array.Fill(actual, float.NaN, 0, 7 * 33);
        Reference.Gemm(false, false, 7, 33, 17, 1f, a, 0, 17, b, 0, 33, 0f, expected, 0, 33);
        Fast.Gemm(false, false, 7, 33, 17, 1f, a, 0, 17, b, 0, 33, 0f, actual, 0, 33);
        Assert.DoesNotContain(actual.Take(7 * 33), float.IsNaN);
        KernelData.Close(expected, actual, 7 * 33, 1e-5, 1e-5, "sgemm beta=0");
    }

    /// <summary>Many small products take the one-per-worker path, a few large ones the sequential parallel-GEMM path.</summary>
    [Theory]
    [InlineData(9, 7, 17, 33, false, false)]
    [InlineData(16, 1, 65, 7, true, false)]
    [InlineData(5, 33, 1, 17, false, true)]
    [InlineData(2, 200, 210, 190, true, true)]
    public void SgemmBatchedAgrees(int count, int m, int n, int k, bool transA, bool transB)
    {
        var rng = new Random(count * 100 + m);
        int sizeA = m * k, sizeB = k * n;
        // Scattered, out-of-order operands (as broadcast batch views give): A and B offsets are not a simple stride.
        var aOffsets = Enumerable.Range(0, count).Select(i => 3 + ((i * 5) % count) * sizeA).ToArray();
        var bOffsets = Enumerable.Range(0, count).Select(i => (i % 2) * sizeB).ToArray();
        var a = KernelData.Random(rng, count * sizeA, offset: 3);
        var b = KernelData.Random(rng, 2 * sizeB);
        var expected = KernelData.Output(count * m * n);
        var actual = KernelData.Output(count * m * n);
        int lda = transA ? m : k, ldb = transB ? k : n;
        Reference.GemmBatched(transA, transB, m, n, k, 1f, a, aOffsets, lda, b, bOffsets, ldb, 0f, expected, m * n, n);
        Fast.GemmBatched(transA, transB, m, n, k, 1f, a, aOffsets, lda, b, bOffsets, ldb, 0f, actual, m * n, n);
        KernelData.Close(expected, actual, count * m * n, 1e-5, 2e-6 * k, $"batched sgemm x{count} m={m} n={n} k={k}");
    }

    private static bool Available(string provider) => provider != "openblas" || OpenBlasNative.IsAvailable;
}
