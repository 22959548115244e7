using System.Runtime.Intrinsics.X86;
using Sapling.Backends.Cpu;

namespace Sapling.Core.Tests.Backends;

/// <summary>
/// Products with at most four rows take the managed GEMM's unpacked path; every register width it can run at is
/// checked against a double-precision reference over transposes, padded strides, alpha/beta and column tails.
/// </summary>
[Collection(SimdWidthCollection.Name)]
public class SkinnyGemmTests
{
    public static TheoryData<int, int, int, bool, bool> Shapes()
    {
        var data = new TheoryData<int, int, int, bool, bool>();
        // n: under one register, one register block plus a tail, enough columns to split across workers.
        foreach (var (m, k, n) in new[] { (1, 1, 1), (1, 256, 768), (2, 5, 7), (3, 33, 81), (4, 17, 1000), (4, 40, 37), (1, 5000, 70) })
            foreach (bool ta in new[] { false, true })
                foreach (bool tb in new[] { false, true })
                    data.Add(m, k, n, ta, tb);
        return data;
    }

    private static IEnumerable<ManagedGemm.KernelKind> KernelsHere()
    {
        yield return ManagedGemm.KernelKind.Scalar;
        if (Fma.IsSupported) yield return ManagedGemm.KernelKind.Avx2;
        if (Avx512F.IsSupported) yield return ManagedGemm.KernelKind.Avx512;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public unsafe void EveryWidthMatchesTheReference(int m, int k, int n, bool ta, bool tb)
    {
        var rng = new Random(m * 1000 + k + n);
        int lda = (ta ? m : k) + 3, ldb = (tb ? k : n) + 2, ldc = n + 1;
        float[] Fill(int length) => Enumerable.Range(0, length).Select(_ => (float)rng.NextDouble() - 0.5f).ToArray();
        var a = Fill((ta ? k : m) * lda);
        var b = Fill((tb ? n : k) * ldb);
        var c0 = Fill(m * ldc);
        var expected = (float[])c0.Clone();
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double s = 0;
                for (int p = 0; p < k; p++)
                    s += (double)(ta ? a[p * lda + i] : a[i * lda + p]) * (tb ? b[j * ldb + p] : b[p * ldb + j]);
                expected[i * ldc + j] = (float)(0.75 * s - 0.5 * c0[i * ldc + j]);
            }
        foreach (var kernel in KernelsHere())
        {
            var c = (float[])c0.Clone();
            ManagedGemm.ForcedKernel = kernel;
            try
            {
                fixed (float* pa = a, pb = b, pc = c) ManagedGemm.Sgemm(ta, tb, m, n, k, 0.75f, pa, lda, pb, ldb, -0.5f, pc, ldc);
            }
            finally
            {
                ManagedGemm.ForcedKernel = ManagedGemm.KernelKind.Auto;
            }
            for (int i = 0; i < m; i++)
                for (int j = 0; j < ldc; j++)
                {
                    int at = i * ldc + j;
                    // The padding column past n must be left as it was.
                    float want = j < n ? expected[at] : c0[at];
                    Assert.True(Math.Abs(want - c[at]) <= 1e-4f + 1e-4f * Math.Abs(want), $"{kernel}: C[{i}, {j}] = {c[at]}, expected {want}");
                }
        }
    }

    [Fact]
    public unsafe void BetaZeroIgnoresWhatCHeld()
    {
        var a = new float[] { 1, 2, 3 };
        var b = Enumerable.Range(0, 3 * 70).Select(i => (float)(i % 7)).ToArray();
        foreach (var kernel in KernelsHere())
        {
            var c = Enumerable.Repeat(float.NaN, 70).ToArray();
            ManagedGemm.ForcedKernel = kernel;
            try
            {
                fixed (float* pa = a, pb = b, pc = c) ManagedGemm.Sgemm(false, false, 1, 70, 3, 1f, pa, 3, pb, 70, 0f, pc, 70);
            }
            finally
            {
                ManagedGemm.ForcedKernel = ManagedGemm.KernelKind.Auto;
            }
            for (int j = 0; j < 70; j++) Assert.Equal(b[j] + 2 * b[70 + j] + 3 * b[140 + j], c[j]);
        }
    }
}
