namespace Sapling.NN;

/// <summary>Returns its input unchanged (PyTorch's <c>nn.Identity</c>), e.g. in place of a removed head.</summary>
public sealed class Identity : Module<Tensor, Tensor>
{
    /// <summary>Returns <paramref name="input"/> itself, not a copy.</summary>
    public override Tensor Forward(Tensor input) => input;
}
