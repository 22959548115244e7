namespace Sapling.NN;

/// <summary>Applies max(x, 0) elementwise (PyTorch's <c>nn.ReLU</c>).</summary>
public sealed class ReLU : Module<Tensor, Tensor>
{
    /// <summary>Applies ReLU to every element; the output has the input's shape.</summary>
    public override Tensor Forward(Tensor input) => input.Relu();
}
