namespace Sapling.Optim;

/// <summary>Regularisation terms to add to a loss. (L2 can also be had as an optimiser's weight decay.)</summary>
public static class Penalties
{
    /// <summary>strength · Σ|w| over the given parameters (drives weights to exactly zero; sparse models).</summary>
    public static Tensor L1(IEnumerable<Tensor> parameters, float strength)
    {
        Tensor? sum = null;
        foreach (var p in parameters) sum = sum == null ? p.Abs().Sum() : sum.Add(p.Abs().Sum());
        return (sum ?? Tensor.Scalar(0f)).Mul(strength);
    }

    /// <summary>strength · Σw² over the given parameters.</summary>
    public static Tensor L2(IEnumerable<Tensor> parameters, float strength)
    {
        Tensor? sum = null;
        foreach (var p in parameters) sum = sum == null ? p.Square().Sum() : sum.Add(p.Square().Sum());
        return (sum ?? Tensor.Scalar(0f)).Mul(strength);
    }
}
