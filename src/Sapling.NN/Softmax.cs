namespace Sapling.NN;

/// <summary>Softmax along one dimension (PyTorch's <c>nn.Softmax</c>): values become positive and sum to 1.</summary>
/// <param name="dim">The dimension normalised; negative counts from the end (the last by default).</param>
public sealed class Softmax(int dim = -1) : Module<Tensor, Tensor>
{
    /// <summary>Applies softmax along the dimension; the output has the input's shape.</summary>
    public override Tensor Forward(Tensor input) => input.Softmax(dim);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"dim={dim}";
}
