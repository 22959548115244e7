namespace Sapling.Core.Tests;

/// <summary>
/// The convolution's weight gradient is summed over chunks of images when one image's patches are large; it must equal
/// the sum of each image's own gradient.
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
}
