namespace Sapling.NN;

/// <summary>
/// Applies the logistic function 1/(1 + e^−x), elementwise, into (0, 1) (PyTorch's <c>nn.Sigmoid</c>).
/// </summary>
public sealed class Sigmoid : Module<Tensor, Tensor>
{
    /// <summary>Applies sigmoid to every element; the output has the input's shape.</summary>
    public override Tensor Forward(Tensor input) => input.Sigmoid();
}
