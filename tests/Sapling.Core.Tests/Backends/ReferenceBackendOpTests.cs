using Sapling.Backends;
using Sapling.Backends.Reference;

namespace Sapling.Core.Tests.Backends;

/// <summary>
/// The PyTorch fixtures and gradient checks again with the reference backend selected: its kernels must give the
/// same ops as the fast ones, and the tensor layer must reach them all through the seam.
/// </summary>
public class ReferenceBackendOpTests
{
    private static readonly ReferenceKernels Reference = new();

    public static TheoryData<string> Names() => OpFixtureTests.Names();

    [Theory]
    [MemberData(nameof(Names))]
    public void MatchesPyTorch(string name)
    {
        using var _ = Backend.Use(Reference);
        new OpFixtureTests().MatchesPyTorch(name);
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void GradientsMatchFiniteDifferences(string name)
    {
        using var _ = Backend.Use(Reference);
        new OpFixtureTests().GradientsMatchFiniteDifferences(name);
    }

    [Theory]
    [InlineData(2, 3, 7, 7, 8)]
    [InlineData(1, 2, 3, 10, 16)]
    public void FusedAttentionMatchesComposedOps(int b, int h, int t, int s, int d)
    {
        using var _ = Backend.Use(Reference);
        new AttentionTests().FusedAttentionMatchesComposedOpsInValuesAndGradients(b, h, t, s, d);
    }

    [Fact]
    public void FusedAttentionGradientsMatchFiniteDifferences()
    {
        using var _ = Backend.Use(Reference);
        new AttentionTests().FusedAttentionGradientsMatchFiniteDifferences();
    }

    [Fact]
    public void DropoutGradientMatchesFiniteDifferences()
    {
        using var _ = Backend.Use(Reference);
        new DropoutGradientTests().DropoutGradientMatchesFiniteDifferencesWithAFixedMask();
    }

    [Fact]
    public void ChainedOpsGiveTheSameLossAndGradientsOnBothBackends()
    {
        // A small network step touching most kernel families, run once per backend from the same inputs.
        (float Loss, float[] Grad) Run()
        {
            var g = new Generator(21);
            var x = Tensor.Randn([2, 3, 9, 9], g);
            var w = (Tensor.Randn([4, 3, 3, 3], g) * 0.3f).RequiresGrad_();
            var head = (Tensor.Randn([4 * 4, 5], g) * 0.3f).RequiresGrad_();
            var h = Tensor.Conv2d(x, w, padding: (1, 1)).Relu();
            h = Tensor.MaxPool2d(h, (2, 2));
            h = Tensor.AdaptiveAvgPool2d(h, (2, 2)).Reshape(2, 16);
            var logits = Tensor.LayerNorm(h, [16], null, null).Gelu(tanhApproximation: true).MatMul(head);
            var loss = Tensor.CrossEntropy(logits, Tensor.FromArray(new long[] { 1, 4 }), labelSmoothing: 0.05f);
            loss.Backward();
            return (loss.Item(), w.Grad!.ToArray().Concat(head.Grad!.ToArray()).ToArray());
        }
        var fast = Run();
        (float Loss, float[] Grad) reference;
        using (Backend.Use(Reference)) reference = Run();
        Assert.Equal(reference.Loss, fast.Loss, 1e-5f);
        Testing.TensorAssert.Close(reference.Grad, Tensor.FromArray(fast.Grad), rtol: 1e-4f, atol: 1e-5f, what: "gradients");
    }
}
