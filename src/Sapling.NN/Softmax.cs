namespace Sapling.NN;

public sealed class Softmax(int dim = -1) : Module<Tensor, Tensor>
{
    public override Tensor Forward(Tensor input) => input.Softmax(dim);

    protected override string ExtraRepr() => $"dim={dim}";
}
