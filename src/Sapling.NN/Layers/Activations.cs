namespace Sapling.NN;

public sealed class ReLU : Module<Tensor, Tensor>
{
    public override Tensor Forward(Tensor input) => input.Relu();
}

public sealed class GELU(bool tanhApproximation = false) : Module<Tensor, Tensor>
{
    public override Tensor Forward(Tensor input) => input.Gelu(tanhApproximation);

    protected override string ExtraRepr() => tanhApproximation ? "approximate='tanh'" : "";
}

public sealed class SiLU : Module<Tensor, Tensor>
{
    public override Tensor Forward(Tensor input) => input.Silu();
}

public sealed class Tanh : Module<Tensor, Tensor>
{
    public override Tensor Forward(Tensor input) => input.Tanh();
}

public sealed class Sigmoid : Module<Tensor, Tensor>
{
    public override Tensor Forward(Tensor input) => input.Sigmoid();
}

public sealed class Softmax(int dim = -1) : Module<Tensor, Tensor>
{
    public override Tensor Forward(Tensor input) => input.Softmax(dim);

    protected override string ExtraRepr() => $"dim={dim}";
}

public sealed class Identity : Module<Tensor, Tensor>
{
    public override Tensor Forward(Tensor input) => input;
}
