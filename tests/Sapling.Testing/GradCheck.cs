using Xunit.Sdk;

namespace Sapling.Testing;

/// <summary>
/// Compares autograd gradients with central finite differences in double precision, as torch.autograd.gradcheck
/// does: float32 inputs are converted to float64 (other inputs, such as indices and masks, pass unchanged), so the
/// function runs on the float64 kernels and the step can be small enough that curvature does not blur the estimate.
/// The function must build any constants of its own in the dtype of its inputs.
/// </summary>
public static class GradCheck
{
    /// <param name="eps">The finite-difference step (PyTorch's default).</param>
    /// <param name="rtol">Relative tolerance on each gradient element.</param>
    /// <param name="atol">Absolute tolerance on each gradient element.</param>
    public static void Check(Func<Tensor[], Tensor> f, Tensor[] inputs, double eps = 1e-6, double rtol = 1e-3, double atol = 1e-5, int seed = 7)
    {
        var doubles = inputs.Select(x => x.DType == DType.Float32 ? x.Detach().To(DType.Float64) : x).ToArray();
        var leaves = doubles.Select(x => x.DType == DType.Float64 ? x.Detach().Clone().RequiresGrad_() : x).ToArray();
        var output = f(leaves);
        if (output.DType != DType.Float64)
            throw new XunitException($"the function returned a {output.DType.Name()} tensor for float64 inputs; build its constants in the inputs' dtype");
        var weights = Tensor.Randn(output.Shape.ToArray(), new Generator((ulong)seed), DType.Float64);
        output.Backward(weights);
        var w = weights.ToArray<double>();
        for (int k = 0; k < leaves.Length; k++)
        {
            if (leaves[k].DType != DType.Float64) continue;
            var analytic = leaves[k].Grad?.ToArray<double>() ?? new double[leaves[k].NumEl];
            var baseValues = doubles[k].Contiguous().ToArray<double>();
            for (int i = 0; i < baseValues.Length; i++)
            {
                double plus = Probe(f, doubles, k, baseValues, i, eps, w);
                double minus = Probe(f, doubles, k, baseValues, i, -eps, w);
                double numeric = (plus - minus) / (2 * eps);
                double diff = Math.Abs(numeric - analytic[i]);
                if (!(diff <= atol + rtol * Math.Abs(numeric)))
                    throw new XunitException($"gradient of input {k} at element {i}: autograd {analytic[i]:G10}, finite differences {numeric:G10}");
            }
        }
    }

    /// <summary>Σ f(x + delta·e_i)·w, with input k's element i moved by delta.</summary>
    private static double Probe(Func<Tensor[], Tensor> f, Tensor[] inputs, int k, double[] baseValues, int i, double delta, double[] w)
    {
        var values = (double[])baseValues.Clone();
        values[i] += delta;
        var args = (Tensor[])inputs.Clone();
        args[k] = Tensor.FromArray(values).Reshape(inputs[k].Shape.ToArray());
        using var _ = Autograd.NoGrad.Enter();
        var y = f(args).Contiguous().ToArray<double>();
        double s = 0;
        for (int j = 0; j < y.Length; j++) s += y[j] * w[j];
        return s;
    }
}
