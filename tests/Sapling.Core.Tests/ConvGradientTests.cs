namespace Sapling.Core.Tests;

/// <summary>
/// The convolution's weight gradient is summed over chunks of images when one image's patches are large; it must equal
/// the sum of each image's own gradient. And the edges of the convolution's and pooling's geometry.
/// </summary>
public class ConvGradientTests
{
    [Fact]
    public void WeightGradientOverImageChunksEqualsTheSumOverImages()
    {
        // 64 channels × 3×3 taps × 64×64 positions: 9.4 MB of patches per image, so each image is its own chunk.
        var x = Tensor.Randn([3, 64, 64, 64], generator: new Generator(1));
        var w = Tensor.Randn([8, 64, 3, 3], generator: new Generator(2)).Mul(0.05).RequiresGrad_();
        var upstream = Tensor.Randn([3, 8, 64, 64], generator: new Generator(3));
        Tensor.Conv2d(x, w, padding: (1, 1)).Mul(upstream).Sum().Backward();
        var batch = w.Grad!.Clone();

        var sum = Tensor.Zeros(8, 64, 3, 3);
        for (int i = 0; i < 3; i++)
        {
            w.Grad = null;
            Tensor.Conv2d(x.Narrow(0, i, 1).Contiguous(), w, padding: (1, 1)).Mul(upstream.Narrow(0, i, 1)).Sum().Backward();
            sum.AddInPlace(w.Grad!);
        }
        var expected = sum.ToArray<float>();
        var actual = batch.ToArray<float>();
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-3f + 1e-4f * Math.Abs(expected[i]), $"dW[{i}] = {actual[i]}, the images' sum {expected[i]}");
    }

    [Fact]
    public void AWindowWiderThanThePaddedInputIsRefused()
    {
        // (2 − 2 − 1) / 2 + 1 rounds to 1 in integer division; the geometry must say 0 and the op refuse, as PyTorch does.
        var x = Tensor.Randn([1, 64, 2, 2], generator: new Generator(1));
        var w = Tensor.Randn([32, 64, 3, 3], generator: new Generator(2));
        var e = Assert.Throws<ArgumentException>(() => Tensor.Conv2d(x, w, stride: (2, 2)));
        Assert.Contains("too small", e.Message);
        Assert.Throws<ArgumentException>(() => Tensor.MaxPool2d(Tensor.Randn([1, 1, 2, 2], generator: new Generator(3)), (3, 3), stride: (2, 2)));
    }

    [Fact]
    public void AnEmptyBatchConvolvesToAnEmptyOutput()
    {
        var x = Tensor.Zeros(0, 3, 8, 8);
        var w = Tensor.Randn([16, 3, 3, 3], generator: new Generator(4)).RequiresGrad_();
        var y = Tensor.Conv2d(x, w, padding: (1, 1));
        Assert.Equal([0, 16, 8, 8], y.Shape.ToArray());
        y.Sum().Backward();
        Assert.All(w.Grad!.ToArray<float>(), v => Assert.Equal(0f, v));
        using (Autograd.NoGrad.Enter())
            Assert.Equal([0, 16, 8, 8], Tensor.FusedConv2d(x, w, relu: true, padding: (1, 1)).Shape.ToArray());
    }

    [Fact]
    public void MaxPoolingOfAWindowEntirelyInThePaddingIsMinusInfinity()
    {
        // Dilation 3 puts both rows of output row 0's window (−1 and 2) outside a 2-row plane.
        var x = Tensor.Randn([1, 1, 2, 4], generator: new Generator(5));
        Tensor y;
        using (Autograd.NoGrad.Enter()) y = Tensor.MaxPool2d(x, (2, 2), padding: (1, 1), dilation: (3, 1));
        Tensor expected;
        using (Sapling.Backends.Backend.Use(new Sapling.Backends.Reference.ReferenceKernels()))
        using (Autograd.NoGrad.Enter())
            expected = Tensor.MaxPool2d(x, (2, 2), padding: (1, 1), dilation: (3, 1));
        Assert.Equal(expected.ToArray<float>(), y.ToArray<float>());
        Assert.All(y.ToArray<float>(), v => Assert.Equal(float.NegativeInfinity, v));
    }
}
