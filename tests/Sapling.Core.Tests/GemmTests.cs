using Sapling.Backends.Cpu;

namespace Sapling.Core.Tests;

/// <summary>Both GEMM providers against a double-precision reference, over edge sizes and every transpose combination.</summary>
public class GemmTests
{
    public static TheoryData<int, int, int, bool, bool> Shapes()
    {
        var data = new TheoryData<int, int, int, bool, bool>();
        foreach (var (m, k, n) in new[] { (1, 1, 1), (7, 3, 5), (33, 17, 65), (64, 64, 64), (97, 130, 71), (6, 513, 64), (250, 40, 300) })
            foreach (bool ta in new[] { false, true })
                foreach (bool tb in new[] { false, true })
                    data.Add(m, k, n, ta, tb);
        return data;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public unsafe void ManagedMatchesReference(int m, int k, int n, bool ta, bool tb) => CheckProvider(BlasProvider.Managed, m, k, n, ta, tb);

    [Theory]
    [MemberData(nameof(Shapes))]
    public unsafe void OpenBlasMatchesReference(int m, int k, int n, bool ta, bool tb)
    {
        if (!OpenBlasNative.IsAvailable) return; // .ci/run installs libopenblas0-pthread so CI covers this provider
        CheckProvider(BlasProvider.OpenBlas, m, k, n, ta, tb);
    }

    [Fact]
    public void AutoSendsOneRowProductsToTheManagedKernel()
    {
        using (Gemm.Use(BlasProvider.Auto))
        {
            Assert.Equal(BlasProvider.Managed, Gemm.ProviderFor(1));
            Assert.Equal(Gemm.AutoUsesOpenBlas ? BlasProvider.OpenBlas : BlasProvider.Managed, Gemm.ProviderFor(2));
        }
        if (OpenBlasNative.IsAvailable)
            using (Gemm.Use(BlasProvider.OpenBlas)) Assert.Equal(BlasProvider.OpenBlas, Gemm.ProviderFor(1));
        using (Gemm.Use(BlasProvider.Managed)) Assert.Equal(BlasProvider.Managed, Gemm.ProviderFor(500));
    }

    [Fact]
    public unsafe void AlphaBetaAndLeadingDimensions()
    {
        int m = 9, k = 11, n = 13, lda = 15, ldb = 20, ldc = 17;
        var rng = new Random(3);
        var a = Enumerable.Range(0, m * lda).Select(_ => (float)rng.NextDouble() - 0.5f).ToArray();
        var b = Enumerable.Range(0, k * ldb).Select(_ => (float)rng.NextDouble() - 0.5f).ToArray();
        var c = Enumerable.Range(0, m * ldc).Select(_ => (float)rng.NextDouble()).ToArray();
        var expected = (float[])c.Clone();
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double s = 0;
                for (int p = 0; p < k; p++) s += (double)a[i * lda + p] * b[p * ldb + j];
                expected[i * ldc + j] = (float)(0.5 * s + 2.0 * c[i * ldc + j]);
            }
        fixed (float* pa = a, pb = b, pc = c)
            ManagedGemm.Sgemm(false, false, m, n, k, 0.5f, pa, lda, pb, ldb, 2f, pc, ldc);
        for (int i = 0; i < c.Length; i++) Assert.Equal(expected[i], c[i], 4);
    }

    [Fact]
    public unsafe void BetaZeroIgnoresGarbageInC()
    {
        var a = new float[] { 1, 2, 3, 4 };
        var b = new float[] { 1, 0, 0, 1 };
        var c = new float[] { float.NaN, float.NaN, float.NaN, float.NaN };
        fixed (float* pa = a, pb = b, pc = c) ManagedGemm.Sgemm(false, false, 2, 2, 2, 1f, pa, 2, pb, 2, 0f, pc, 2);
        Assert.Equal(a, c);
    }

    [Fact]
    public void MatMulGivesTheSameResultWithEitherProvider()
    {
        if (!OpenBlasNative.IsAvailable) return;
        var a = Tensor.Randn([70, 90], new Generator(1));
        var b = Tensor.Randn([90, 50], new Generator(2));
        Tensor managed, openblas;
        using (Gemm.Use(BlasProvider.Managed)) managed = a.MatMul(b);
        using (Gemm.Use(BlasProvider.OpenBlas)) openblas = a.MatMul(b);
        Testing.TensorAssert.Close(openblas, managed, rtol: 1e-4f, atol: 1e-4f);
    }

    [Fact]
    public void ProviderNamesParse()
    {
        Assert.Equal(BlasProvider.Managed, Gemm.Parse("managed"));
        Assert.Equal(BlasProvider.OpenBlas, Gemm.Parse("OpenBLAS"));
        Assert.Equal(BlasProvider.Auto, Gemm.Parse("auto"));
        var ex = Assert.Throws<ArgumentException>(() => Gemm.Parse("mkl"));
        Assert.Contains("mkl", ex.Message);
    }

    private static unsafe void CheckProvider(BlasProvider provider, int m, int k, int n, bool ta, bool tb)
    {
        var rng = new Random(m * 1000 + k * 10 + n);
        var a = Enumerable.Range(0, m * k).Select(_ => (float)rng.NextDouble() * 2 - 1).ToArray();
        var b = Enumerable.Range(0, k * n).Select(_ => (float)rng.NextDouble() * 2 - 1).ToArray();
        var c = new float[m * n];
        int lda = ta ? m : k, ldb = tb ? k : n;
        fixed (float* pa = a, pb = b, pc = c)
        {
            if (provider == BlasProvider.OpenBlas) OpenBlasNative.Sgemm(ta, tb, m, n, k, 1f, pa, lda, pb, ldb, 0f, pc, n);
            else ManagedGemm.Sgemm(ta, tb, m, n, k, 1f, pa, lda, pb, ldb, 0f, pc, n);
        }
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double s = 0;
                for (int p = 0; p < k; p++)
                    s += (double)(ta ? a[p * m + i] : a[i * k + p]) * (tb ? b[j * k + p] : b[p * n + j]);
                Assert.True(Math.Abs(s - c[i * n + j]) <= 1e-4 * (1 + Math.Abs(s)), $"C[{i},{j}] = {c[i * n + j]}, expected {s:G7} (m={m} k={k} n={n} transA={ta} transB={tb})");
            }
    }
}
