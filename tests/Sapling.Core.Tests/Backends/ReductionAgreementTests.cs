using Sapling.Backends;
using Sapling.Backends.Cpu;
using Sapling.Backends.Reference;

namespace Sapling.Core.Tests.Backends;

/// <summary>Sum and arg-max/min over [outer, reduce, inner] blocks: the CPU backend against the reference.</summary>
public class ReductionAgreementTests
{
    private static readonly IKernels Fast = CpuKernels.Instance;
    private static readonly IKernels Reference = new ReferenceKernels();

    public static TheoryData<int, int, int> Plans()
    {
        var data = new TheoryData<int, int, int>();
        foreach (var (outer, reduce, inner) in new[] { (1, 1, 1), (1, 1031, 1), (7, 17, 1), (3, 33, 65), (1, 7, 1031), (65, 1, 7), (2, 1000, 3) })
            data.Add(outer, reduce, inner);
        return data;
    }

    [Theory]
    [MemberData(nameof(Plans))]
    [InlineData(4, 0, 3)]
    public void SumAgrees(int outer, int reduce, int inner)
    {
        var rng = new Random(outer * 10_000 + reduce * 10 + inner);
        var x = KernelData.Random(rng, outer * reduce * inner, offset: 5);
        var expected = KernelData.Output(outer * inner);
        var actual = KernelData.Output(outer * inner);
        Reference.Sum(x, 5, expected, outer, reduce, inner);
        Fast.Sum(x, 5, actual, outer, reduce, inner);
        KernelData.Close(expected, actual, outer * inner, 1e-5, 1e-6 * Math.Max(reduce, 1), $"sum {outer}x{reduce}x{inner}");
    }

    [Theory]
    [MemberData(nameof(Plans))]
    public void ArgExtremeAgrees(int outer, int reduce, int inner)
    {
        var rng = new Random(outer * 10_000 + reduce * 10 + inner);
        int count = outer * reduce * inner;
        // Few distinct values, so there are ties, and a sprinkling of NaN, which must win.
        var x = KernelData.Random(rng, count, offset: 2);
        for (int i = 0; i < count; i++) x[2 + i] = MathF.Round(x[2 + i] * 2f);
        for (int i = 0; i < count; i += 97) x[2 + i] = float.NaN;
        foreach (bool max in new[] { true, false })
        {
            var (v1, i1) = (KernelData.Output(outer * inner), new long[outer * inner]);
            var (v2, i2) = (KernelData.Output(outer * inner), new long[outer * inner]);
            Reference.ArgExtreme(x, 2, v1, i1, outer, reduce, inner, max);
            Fast.ArgExtreme(x, 2, v2, i2, outer, reduce, inner, max);
            string what = $"arg{(max ? "max" : "min")} {outer}x{reduce}x{inner}";
            KernelData.Equal(v1, v2, outer * inner, what + " values");
            KernelData.Equal(i1, i2, outer * inner, what + " indices");
        }
    }
}
