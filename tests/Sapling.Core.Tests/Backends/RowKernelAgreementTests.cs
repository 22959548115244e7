using Sapling.Backends;
using Sapling.Backends.Cpu;
using Sapling.Backends.Reference;

namespace Sapling.Core.Tests.Backends;

/// <summary>Softmax, layer norm and cross-entropy over rows of awkward widths: the CPU backend against the reference.</summary>
public class RowKernelAgreementTests
{
    private static readonly IKernels Fast = CpuKernels.Instance;
    private static readonly IKernels Reference = new ReferenceKernels();

    /// <summary>Each width with one row, a few rows, and enough rows that the work is split across workers.</summary>
    public static TheoryData<int, int> RowsAndWidths()
    {
        var data = new TheoryData<int, int>();
        foreach (int n in KernelData.AwkwardWidths)
            foreach (int rows in new[] { 1, 3, 40 })
                data.Add(rows, n);
        return data;
    }

    public static TheoryData<int, int, bool> SoftmaxCases()
    {
        var data = new TheoryData<int, int, bool>();
        foreach (var row in RowsAndWidths())
            foreach (bool log in new[] { false, true })
                data.Add((int)row[0], (int)row[1], log);
        return data;
    }

    [Theory]
    [MemberData(nameof(SoftmaxCases))]
    public void SoftmaxAgrees(int rows, int n, bool log)
    {
        var rng = new Random(rows * 10_000 + n * 2 + (log ? 1 : 0));
        int count = rows * n;
        var x = KernelData.Random(rng, count, offset: 7, lo: -10f, hi: 10f);
        // Masked scores as causal attention makes them: −∞ in some places, never a whole row.
        for (int r = 0; r < rows; r++)
            if (n > 1) x[7 + r * n + rng.Next(n)] = float.NegativeInfinity;
        var expected = KernelData.Output(count);
        var actual = KernelData.Output(count);
        Reference.SoftmaxForward(x, 7, expected, rows, n, log);
        Fast.SoftmaxForward(x, 7, actual, rows, n, log);
        KernelData.Close(expected, actual, count, 1e-5, log ? 1e-5 : 1e-7, $"{(log ? "log-" : "")}softmax {rows}x{n}");

        // Both backward passes start from the same forward output, so they differ only by their own arithmetic.
        var dy = KernelData.Random(rng, count, offset: 2);
        var expectedDx = KernelData.Output(count);
        var actualDx = KernelData.Output(count);
        Reference.SoftmaxBackward(actual, dy, 2, expectedDx, rows, n, log);
        Fast.SoftmaxBackward(actual, dy, 2, actualDx, rows, n, log);
        KernelData.Close(expectedDx, actualDx, count, 1e-5, 2e-6 * Math.Sqrt(n), $"{(log ? "log-" : "")}softmax backward {rows}x{n}");
    }

    [Fact]
    public void SoftmaxOfAFullyMaskedRowIsNaN()
    {
        var x = new[] { float.NegativeInfinity, float.NegativeInfinity, float.NegativeInfinity };
        foreach (var kernels in new IKernels[] { Fast, Reference })
            foreach (bool log in new[] { false, true })
            {
                var y = new float[3];
                kernels.SoftmaxForward(x, 0, y, 1, 3, log);
                Assert.All(y, v => Assert.True(float.IsNaN(v), $"{kernels.Name} log={log}: {v}"));
            }
    }

    public static TheoryData<int, int, bool> LayerNormCases()
    {
        var data = new TheoryData<int, int, bool>();
        foreach (var row in RowsAndWidths())
            foreach (bool affine in new[] { false, true })
                data.Add((int)row[0], (int)row[1], affine);
        return data;
    }

    [Theory]
    [MemberData(nameof(LayerNormCases))]
    public void LayerNormAgrees(int rows, int n, bool affine)
    {
        var rng = new Random(rows * 10_000 + n * 2 + (affine ? 1 : 0));
        int count = rows * n;
        // An offset mean, so the variance is computed around it rather than around zero.
        var x = KernelData.Random(rng, count, offset: 3, lo: 2f, hi: 6f);
        var w = affine ? KernelData.Random(rng, n, offset: 1) : null;
        var b = affine ? KernelData.Random(rng, n, offset: 2) : null;
        var (y1, mean1, rstd1) = (KernelData.Output(count), KernelData.Output(rows), KernelData.Output(rows));
        var (y2, mean2, rstd2) = (KernelData.Output(count), KernelData.Output(rows), KernelData.Output(rows));
        Reference.LayerNormForward(x, 3, w, 1, b, 2, y1, mean1, rstd1, rows, n, 1e-5f);
        Fast.LayerNormForward(x, 3, w, 1, b, 2, y2, mean2, rstd2, rows, n, 1e-5f);
        string what = $"layer norm {rows}x{n} affine={affine}";
        KernelData.Close(y1, y2, count, 1e-4, 1e-5, what);
        KernelData.Close(mean1, mean2, rows, 1e-6, 1e-6, what + " mean");
        KernelData.Close(rstd1, rstd2, rows, 1e-4, 1e-6, what + " rstd");

        var dy = KernelData.Random(rng, count, offset: 4);
        var (dx1, dw1, db1) = (KernelData.Output(count), KernelData.Output(n), KernelData.Output(n));
        var (dx2, dw2, db2) = (KernelData.Output(count), KernelData.Output(n), KernelData.Output(n));
        Reference.LayerNormBackward(x, 3, w, 1, dy, 4, mean2, rstd2, dx1, affine ? dw1 : null, affine ? db1 : null, rows, n);
        Fast.LayerNormBackward(x, 3, w, 1, dy, 4, mean2, rstd2, dx2, affine ? dw2 : null, affine ? db2 : null, rows, n);
        KernelData.Close(dx1, dx2, count, 1e-4, 1e-5, what + " dx");
        if (!affine) return;
        KernelData.Close(dw1, dw2, n, 1e-4, 1e-5 * Math.Sqrt(rows), what + " dw");
        KernelData.Close(db1, db2, n, 1e-4, 1e-5 * Math.Sqrt(rows), what + " db");
    }

    [Fact]
    public void LayerNormBackwardWritesOnlyTheGradientsAskedFor()
    {
        var rng = new Random(5);
        int rows = 3, n = 17;
        var x = KernelData.Random(rng, rows * n);
        var w = KernelData.Random(rng, n);
        var dy = KernelData.Random(rng, rows * n);
        var (mean, rstd, y) = (new float[rows], new float[rows], new float[rows * n]);
        Fast.LayerNormForward(x, 0, w, 0, null, 0, y, mean, rstd, rows, n, 1e-5f);
        foreach (var kernels in new IKernels[] { Fast, Reference })
        {
            var (dw1, db1) = (KernelData.Output(n), KernelData.Output(n));
            kernels.LayerNormBackward(x, 0, w, 0, dy, 0, mean, rstd, null, dw1, db1, rows, n);
            var dw2 = KernelData.Output(n);
            kernels.LayerNormBackward(x, 0, w, 0, dy, 0, mean, rstd, null, dw2, null, rows, n);
            KernelData.Equal(dw1, dw2, n, $"{kernels.Name}: dw without db");
            Assert.NotEqual(KernelData.Guard, db1[0]);
        }
    }

    public static TheoryData<int, int, float> CrossEntropyCases()
    {
        var data = new TheoryData<int, int, float>();
        foreach (var row in RowsAndWidths())
            foreach (float smoothing in new[] { 0f, 0.1f })
                data.Add((int)row[0], (int)row[1], smoothing);
        return data;
    }

    [Theory]
    [MemberData(nameof(CrossEntropyCases))]
    public void CrossEntropyAgrees(int rows, int classes, float smoothing)
    {
        var rng = new Random(rows * 10_000 + classes * 2 + (smoothing > 0 ? 1 : 0));
        const long ignore = -100;
        var logits = KernelData.Random(rng, rows * classes, offset: 6, lo: -8f, hi: 8f);
        // Every third row is ignored (when there is more than one row).
        var targets = Enumerable.Range(0, rows).Select(r => rows > 1 && r % 3 == 1 ? ignore : rng.Next(classes)).ToArray();
        var (loss1, lse1) = (KernelData.Output(rows), KernelData.Output(rows));
        var (loss2, lse2) = (KernelData.Output(rows), KernelData.Output(rows));
        int counted1 = Reference.CrossEntropyForward(logits, 6, targets, loss1, lse1, rows, classes, ignore, smoothing);
        int counted2 = Fast.CrossEntropyForward(logits, 6, targets, loss2, lse2, rows, classes, ignore, smoothing);
        string what = $"cross-entropy {rows}x{classes} smoothing={smoothing}";
        Assert.Equal(targets.Count(t => t != ignore), counted1);
        Assert.Equal(counted1, counted2);
        KernelData.Close(loss1, loss2, rows, 1e-5, 1e-5, what + " loss");
        KernelData.Close(lse1, lse2, rows, 1e-6, 1e-6, what + " log-sum-exp");

        var rowScale = KernelData.Random(rng, rows);
        var dx1 = KernelData.Output(rows * classes);
        var dx2 = KernelData.Output(rows * classes);
        Reference.CrossEntropyBackward(logits, 6, targets, lse2, rowScale, dx1, rows, classes, ignore, smoothing);
        Fast.CrossEntropyBackward(logits, 6, targets, lse2, rowScale, dx2, rows, classes, ignore, smoothing);
        KernelData.Close(dx1, dx2, rows * classes, 1e-5, 1e-6, what + " gradient");
    }
}
