using Xunit.Sdk;

namespace Sapling.Testing;

/// <summary>
/// Compares autograd gradients with central finite differences. The op runs in float32 (the engine's compute type),
/// so the scalar probe sum(f(x)·w) is accumulated in double and the step is chosen large enough that float rounding
/// stays well below the tolerance.
/// </summary>
public static class GradCheck
{
    public static void Check(Func<Tensor[], Tensor> f, Tensor[] inputs, float eps = 1e-2f, double rtol = 2e-2, double atol = 2e-3, int seed = 7)
    {
        var leaves = inputs.Select(x => x.DType == DType.Float32 ? x.Detach().Clone().RequiresGrad_() : x).ToArray();
        var output = f(leaves);
        var weights = Tensor.Randn(output.Shape.ToArray(), new Generator((ulong)seed));
        output.Backward(weights);
        var w = weights.ToArray();
        for (int k = 0; k < leaves.Length; k++)
        {
            if (leaves[k].DType != DType.Float32) continue;
            var analytic = leaves[k].Grad?.ToArray() ?? new float[leaves[k].NumEl];
            var baseValues = inputs[k].Contiguous().ToArray();
            for (int i = 0; i < baseValues.Length; i++)
            {
                double plus = Probe(f, inputs, k, baseValues, i, eps, w);
                double minus = Probe(f, inputs, k, baseValues, i, -eps, w);
                double numeric = (plus - minus) / (2 * eps);
                double diff = Math.Abs(numeric - analytic[i]);
                if (diff > atol + rtol * Math.Abs(numeric))
                    throw new XunitException($"gradient of input {k} at element {i}: autograd {analytic[i]:G6}, finite differences {numeric:G6}");
            }
        }
    }

    private static double Probe(Func<Tensor[], Tensor> f, Tensor[] inputs, int k, float[] baseValues, int i, float delta, float[] w)
    {
        var values = (float[])baseValues.Clone();
        values[i] += delta;
        var args = (Tensor[])inputs.Clone();
        args[k] = Tensor.FromArray(values).Reshape(inputs[k].Shape.ToArray());
        using var _ = Autograd.NoGrad.Enter();
        var y = f(args).Contiguous().ToArray();
        double s = 0;
        for (int j = 0; j < y.Length; j++) s += (double)y[j] * w[j];
        return s;
    }
}
