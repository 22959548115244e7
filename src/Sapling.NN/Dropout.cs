namespace Sapling.NN;

/// <summary>Zeroes elements with probability p during training (scaling the rest by 1/(1−p)); the identity in eval mode.</summary>
public sealed class Dropout : Module<Tensor, Tensor>
{
    private readonly Generator? generator;

    /// <summary>
    /// Creates the layer matching PyTorch's <c>nn.Dropout</c>; <paramref name="p"/> must be in [0, 1], and masks are
    /// drawn from <paramref name="generator"/> (the global one when null).
    /// </summary>
    public Dropout(float p = 0.5f, Generator? generator = null)
    {
        if (p < 0f || p > 1f) throw new ArgumentOutOfRangeException(nameof(p), $"Dropout: probability must be in [0, 1], got {p}");
        P = p;
        this.generator = generator;
    }

    /// <summary>Probability that an element is zeroed in training.</summary>
    public float P { get; }

    /// <summary>
    /// In training, zeroes each element with probability <see cref="P"/> and scales the rest by 1/(1 − P); in
    /// evaluation returns the input unchanged. The output has the input's shape.
    /// </summary>
    public override Tensor Forward(Tensor input) => input.Dropout(P, Training, generator);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"p={P}";
}
