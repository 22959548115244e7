using Sapling.Backends;
using Sapling.Backends.Cpu;
using Sapling.Backends.Reference;

namespace Sapling.Core.Tests.Backends;

/// <summary>Fused causal attention, forward and backward: the CPU backend against the reference's full score rows.</summary>
public class AttentionAgreementTests
{
    private static readonly IKernels Fast = CpuKernels.Instance;
    private static readonly IKernels Reference = new ReferenceKernels();

    [Theory]
    [InlineData(1, 1, 1, 1)]
    [InlineData(3, 7, 7, 17)]
    [InlineData(2, 5, 12, 33)]
    [InlineData(1, 1, 65, 7)]
    [InlineData(8, 33, 33, 65)]
    [InlineData(2, 17, 1031, 8)]
    public void ForwardAndBackwardAgree(int heads, int t, int s, int d)
    {
        var rng = new Random(heads * 1000 + t * 100 + s + d);
        int past = s - t;
        float scale = 1f / MathF.Sqrt(d);
        var q = KernelData.Random(rng, heads * t * d);
        var k = KernelData.Random(rng, heads * s * d);
        var v = KernelData.Random(rng, heads * s * d);
        var (o1, lse1) = (KernelData.Output(heads * t * d), KernelData.Output(heads * t));
        var (o2, lse2) = (KernelData.Output(heads * t * d), KernelData.Output(heads * t));
        Reference.AttentionForward(q, k, v, o1, lse1, heads, t, s, d, past, scale, null, 1, s * d);
        Fast.AttentionForward(q, k, v, o2, lse2, heads, t, s, d, past, scale, null, 1, s * d);
        string what = $"attention heads={heads} t={t} s={s} d={d}";
        KernelData.Close(o1, o2, heads * t * d, 1e-5, 1e-5, what + " output");
        KernelData.Close(lse1, lse2, heads * t, 1e-5, 1e-5, what + " log-sum-exp");

        var dOut = KernelData.Random(rng, heads * t * d);
        var (dq1, dk1, dv1) = (KernelData.Output(heads * t * d), KernelData.Output(heads * s * d), KernelData.Output(heads * s * d));
        var (dq2, dk2, dv2) = (KernelData.Output(heads * t * d), KernelData.Output(heads * s * d), KernelData.Output(heads * s * d));
        Reference.AttentionBackward(q, k, v, o2, lse2, dOut, dq1, dk1, dv1, heads, t, s, d, past, scale);
        Fast.AttentionBackward(q, k, v, o2, lse2, dOut, dq2, dk2, dv2, heads, t, s, d, past, scale);
        KernelData.Close(dq1, dq2, heads * t * d, 1e-4, 2e-5, what + " dq");
        KernelData.Close(dk1, dk2, heads * s * d, 1e-4, 2e-5, what + " dk");
        KernelData.Close(dv1, dv2, heads * s * d, 1e-4, 2e-5, what + " dv");
    }

    /// <summary>Left-padded batch rows: each batch row's heads skip its padding keys; a query that sees only padding gives zeros.</summary>
    [Theory]
    [InlineData(2, 3, 7, 7, 17)]
    [InlineData(3, 2, 4, 9, 33)]
    public void KeyStartsAgree(int batch, int headsPerRow, int t, int s, int d)
    {
        var rng = new Random(batch * 100 + s);
        int heads = batch * headsPerRow, past = s - t;
        // The last row's padding covers the first query's whole view, so that query sees no key at all.
        var keyStart = Enumerable.Range(0, batch).Select(b => b == batch - 1 ? past + 2 : b).ToArray();
        var q = KernelData.Random(rng, heads * t * d);
        var k = KernelData.Random(rng, heads * s * d);
        var v = KernelData.Random(rng, heads * s * d);
        var (o1, lse1) = (KernelData.Output(heads * t * d), KernelData.Output(heads * t));
        var (o2, lse2) = (KernelData.Output(heads * t * d), KernelData.Output(heads * t));
        Reference.AttentionForward(q, k, v, o1, lse1, heads, t, s, d, past, 0.3f, keyStart, headsPerRow, s * d);
        Fast.AttentionForward(q, k, v, o2, lse2, heads, t, s, d, past, 0.3f, keyStart, headsPerRow, s * d);
        KernelData.Close(o1, o2, heads * t * d, 1e-5, 1e-5, "padded attention output");
        KernelData.Close(lse1, lse2, heads * t, 1e-5, 1e-5, "padded attention log-sum-exp");
        int blind = (heads - 1) * t * d;
        Assert.All(o2.Skip(blind).Take(d), x => Assert.Equal(0f, x));
    }

    /// <summary>
    /// Keys and values read in place from a cache allocated for a longer context (head h at h·stride): both backends
    /// give what they give on the packed copy, and nothing past each head's filled rows is read.
    /// </summary>
    [Theory]
    [InlineData(1, 1, 5, 8, 16)]
    [InlineData(12, 1, 37, 64, 100)]
    [InlineData(4, 3, 9, 17, 12)]
    public void CacheLayoutAgreesWithPackedKeys(int heads, int t, int s, int d, int capacity)
    {
        var rng = new Random(heads + t * 10 + s);
        int past = s - t, stride = capacity * d;
        var q = KernelData.Random(rng, heads * t * d);
        var packedK = KernelData.Random(rng, heads * s * d);
        var packedV = KernelData.Random(rng, heads * s * d);
        // The unfilled rows hold NaN: reading any of them would show in the output.
        var cacheK = Enumerable.Repeat(float.NaN, heads * stride).ToArray();
        var cacheV = Enumerable.Repeat(float.NaN, heads * stride).ToArray();
        for (int h = 0; h < heads; h++)
        {
            Array.Copy(packedK, h * s * d, cacheK, h * stride, s * d);
            Array.Copy(packedV, h * s * d, cacheV, h * stride, s * d);
        }
        var (expected, expectedLse) = (KernelData.Output(heads * t * d), KernelData.Output(heads * t));
        Reference.AttentionForward(q, packedK, packedV, expected, expectedLse, heads, t, s, d, past, 0.125f, null, 1, s * d);
        foreach (var kernels in new[] { Reference, Fast })
        {
            var (o, lse) = (KernelData.Output(heads * t * d), KernelData.Output(heads * t));
            kernels.AttentionForward(q, cacheK, cacheV, o, lse, heads, t, s, d, past, 0.125f, null, 1, stride);
            KernelData.Close(expected, o, heads * t * d, 1e-5, 1e-5, $"{kernels.GetType().Name} attention over a cache layout");
            KernelData.Close(expectedLse, lse, heads * t, 1e-5, 1e-5, $"{kernels.GetType().Name} log-sum-exp over a cache layout");
        }
    }
}
