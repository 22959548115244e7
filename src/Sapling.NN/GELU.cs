namespace Sapling.NN;

/// <summary>The Gaussian error linear unit x·Φ(x), elementwise (PyTorch's <c>nn.GELU</c>).</summary>
/// <param name="tanhApproximation">Use the tanh approximation (PyTorch's <c>approximate='tanh'</c>, GPT-2's "gelu_new")
/// instead of the exact erf form.</param>
public sealed class GELU(bool tanhApproximation = false) : Module<Tensor, Tensor>
{
    /// <summary>Applies GELU to every element; the output has the input's shape.</summary>
    public override Tensor Forward(Tensor input) => input.Gelu(tanhApproximation);

    /// <inheritdoc/>
    protected override string ExtraRepr() => tanhApproximation ? "approximate='tanh'" : "";
}
