namespace Sapling.NN;

/// <summary>Zeroes elements with probability p during training (scaling the rest by 1/(1−p)); the identity in eval mode.</summary>
public sealed class Dropout : Module<Tensor, Tensor>
{
    private readonly Generator? generator;

    public Dropout(float p = 0.5f, Generator? generator = null)
    {
        if (p < 0f || p > 1f) throw new ArgumentOutOfRangeException(nameof(p), $"Dropout: probability must be in [0, 1], got {p}");
        P = p;
        this.generator = generator;
    }

    public float P { get; }

    public override Tensor Forward(Tensor input) => input.Dropout(P, Training, generator);

    protected override string ExtraRepr() => $"p={P}";
}
