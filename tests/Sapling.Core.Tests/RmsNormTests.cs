using Sapling.Backends;
using Sapling.Backends.Reference;
using Sapling.Testing;

namespace Sapling.Core.Tests;

/// <summary>The fused RMSNorm against the same formula composed of elementwise ops, in value and gradients, in float32 and float64, on both backends.</summary>
public class RmsNormTests
{
    private static Tensor Composed(Tensor x, Tensor w, double eps) => x.Mul(x.Square().Mean(-1, keepDim: true).Add(eps).Rsqrt()).Mul(w);

    [Theory]
    [InlineData(DType.Float32, false)]
    [InlineData(DType.Float32, true)]
    [InlineData(DType.Float64, false)]
    public void MatchesTheComposedFormula(DType dtype, bool referenceKernels)
    {
        var g = new Generator(2);
        var x = Tensor.Randn([3, 5, 37], g, dtype).RequiresGrad_();
        var w = Tensor.Randn([37], g, dtype).RequiresGrad_();
        var (x2, w2) = (x.Detach().Clone().RequiresGrad_(), w.Detach().Clone().RequiresGrad_());
        var upstream = Tensor.Randn([3, 5, 37], g, dtype);
        using (referenceKernels ? Backend.Use(new ReferenceKernels()) : null)
        {
            var fused = Tensor.RmsNorm(x, w, 1e-5);
            fused.Backward(upstream);
            var composed = Composed(x2, w2, 1e-5);
            composed.Backward(upstream);
            float tolerance = dtype == DType.Float64 ? 1e-9f : 1e-5f;
            TensorAssert.Close(composed, fused, tolerance, tolerance, "output");
            TensorAssert.Close(x2.Grad!, x.Grad!, tolerance * 10, tolerance * 10, "input gradient");
            TensorAssert.Close(w2.Grad!, w.Grad!, tolerance * 10, tolerance * 10, "weight gradient");
        }
    }

    [Fact]
    public void AWeightOfTheWrongSizeIsRefused()
    {
        var e = Assert.Throws<ArgumentException>(() => Tensor.RmsNorm(Tensor.Zeros(2, 4), Tensor.Ones(3)));
        Assert.Contains("rms_norm", e.Message);
    }
}
