namespace Sapling.NN;

public sealed class GELU(bool tanhApproximation = false) : Module<Tensor, Tensor>
{
    public override Tensor Forward(Tensor input) => input.Gelu(tanhApproximation);

    protected override string ExtraRepr() => tanhApproximation ? "approximate='tanh'" : "";
}
