namespace Sapling.NN;

/// <summary>Applies the hyperbolic tangent, elementwise, into (−1, 1) (PyTorch's <c>nn.Tanh</c>).</summary>
public sealed class Tanh : Module<Tensor, Tensor>
{
    /// <summary>Applies tanh to every element; the output has the input's shape.</summary>
    public override Tensor Forward(Tensor input) => input.Tanh();
}
