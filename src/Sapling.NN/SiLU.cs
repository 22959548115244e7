namespace Sapling.NN;

/// <summary>
/// Applies x·sigmoid(x) elementwise (also called swish), as Llama's MLP uses it (PyTorch's <c>nn.SiLU</c>).
/// </summary>
public sealed class SiLU : Module<Tensor, Tensor>
{
    /// <summary>Applies SiLU to every element; the output has the input's shape.</summary>
    public override Tensor Forward(Tensor input) => input.Silu();
}
