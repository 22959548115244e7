using Sapling.Autograd;

namespace Sapling.NN.Tests;

public class QuantizedLayerTests
{
    private static Tensor Input(int rows, int features, int seed)
    {
        var rng = new Random(seed);
        return Tensor.FromArray(Enumerable.Range(0, rows * features).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray(), rows, features);
    }

    private static float RelativeError(float[] expected, float[] actual)
    {
        float norm = MathF.Sqrt(expected.Sum(v => v * v));
        return MathF.Sqrt(expected.Zip(actual).Sum(p => (p.First - p.Second) * (p.First - p.Second))) / norm;
    }

    [Fact]
    public void QuantizedLinearIsCloseToTheFloatOne()
    {
        var layer = new Linear(48, 20, generator: new Generator(1));
        layer.Eval();
        var x = Input(7, 48, 2);
        float[] expected;
        using (NoGrad.Enter()) expected = layer.Forward(x).ToArray();
        layer.Quantize();
        using (NoGrad.Enter())
            Assert.True(RelativeError(expected, layer.Forward(x).ToArray()) < 0.01f);
        // The state dict now carries the int8 weight and its scales instead of the float weight.
        var state = layer.StateDict();
        Assert.Equal(DType.Int8, state["weight"].DType);
        Assert.Equal([20], state["weight_scale"].Shape);
        Assert.DoesNotContain(layer.NamedParameters(), p => p.Name == "weight");
    }

    [Fact]
    public void Conv1DKeepsItsStoredLayoutWhenQuantized()
    {
        var layer = new Conv1D(12, 30, new Generator(3));
        layer.Eval();
        var x = Input(2, 12, 4).Reshape(1, 2, 12);
        float[] expected;
        using (NoGrad.Enter()) expected = layer.Forward(x).ToArray();
        layer.Quantize();
        Assert.Equal([12, 30], layer.StateDict()["weight"].Shape);
        using (NoGrad.Enter())
            Assert.True(RelativeError(expected, layer.Forward(x).ToArray()) < 0.02f);
        // Loading the stored tensors into a fresh layer gives the same outputs.
        var copy = new Conv1D(12, 30);
        copy.Eval();
        copy.LoadQuantized(layer.StateDict()["weight"], layer.StateDict()["weight_scale"], "test");
        copy.Bias.CopyFrom(layer.Bias);
        using (NoGrad.Enter())
            Assert.Equal(layer.Forward(x).ToArray(), copy.Forward(x).ToArray());
    }

    [Fact]
    public void QuantizedConv2dIsCloseToTheFloatOne()
    {
        var layer = new Conv2d(3, 8, 3, padding: 1, generator: new Generator(5));
        layer.Eval();
        var x = Input(2 * 3 * 6, 6, 6).Reshape(2, 3, 6, 6);
        float[] expected;
        using (NoGrad.Enter()) expected = layer.Forward(x).ToArray();
        layer.Quantize();
        using (NoGrad.Enter())
            Assert.True(RelativeError(expected, layer.Forward(x).ToArray()) < 0.02f);
    }

    [Fact]
    public void TrainingAQuantizedLayerIsRefused()
    {
        var layer = new Linear(8, 4, generator: new Generator(1));
        layer.Quantize();
        var e = Assert.Throws<InvalidOperationException>(() => layer.Forward(Input(1, 8, 1)));
        Assert.Contains("int8-quantized", e.Message);
        Assert.Contains("Eval()", e.Message);
        e = Assert.Throws<InvalidOperationException>(() => layer.Weight);
        Assert.Contains("float weight is gone", e.Message);
        e = Assert.Throws<InvalidOperationException>(() => layer.Quantize());
        Assert.Contains("already int8-quantized", e.Message);
    }

    [Fact]
    public void QuantizedEmbeddingLooksUpDequantizedRows()
    {
        var layer = new Embedding(12, 6, new Generator(9));
        layer.Eval();
        var original = layer.Weight.ToArray();
        layer.Quantize();
        var table = layer.Quantized!.Dequantize().ToArray();
        var ids = Tensor.FromArray(new long[] { 3, 0, 11, 3 }, 2, 2);
        float[] rows;
        using (NoGrad.Enter()) rows = layer.Forward(ids).ToArray();
        Assert.Equal(24, rows.Length);
        long[] flat = [3, 0, 11, 3];
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 6; j++)
            {
                Assert.Equal(table[flat[i] * 6 + j], rows[i * 6 + j]);
                Assert.True(MathF.Abs(original[flat[i] * 6 + j] - rows[i * 6 + j]) <= layer.Quantized.Scale.ToArray()[flat[i]] / 2 + 1e-6f);
            }
        var e = Assert.Throws<ArgumentException>(() => { using (NoGrad.Enter()) layer.Forward(Tensor.FromArray(new long[] { 12 }, 1)); });
        Assert.Contains("outside the table", e.Message);
    }
}
