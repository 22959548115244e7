namespace Sapling.NN;

/// <summary>Layer normalisation over the trailing dimensions given by <c>normalizedShape</c>, with learned scale and shift.</summary>
public sealed class LayerNorm : Module<Tensor, Tensor>
{
    /// <summary>
    /// Creates the layer matching PyTorch's <c>nn.LayerNorm</c>, normalising over the trailing dimensions
    /// <paramref name="normalizedShape"/>; with <paramref name="elementwiseAffine"/>, weight (ones) and bias (zeros) of
    /// that shape are learned.
    /// </summary>
    public LayerNorm(int[] normalizedShape, float eps = 1e-5f, bool elementwiseAffine = true)
    {
        NormalizedShape = (int[])normalizedShape.Clone();
        Eps = eps;
        if (elementwiseAffine)
        {
            Weight = RegisterParameter("weight", Tensor.Ones(normalizedShape));
            Bias = RegisterParameter("bias", Tensor.Zeros(normalizedShape));
        }
    }

    /// <summary>
    /// Creates the layer normalising over the last dimension, of size <paramref name="normalizedSize"/>.
    /// </summary>
    public LayerNorm(int normalizedSize, float eps = 1e-5f, bool elementwiseAffine = true) : this([normalizedSize], eps, elementwiseAffine)
    {
    }

    /// <summary>The trailing dimensions each input is normalised over (a copy of the constructor's array).</summary>
    public int[] NormalizedShape { get; }
    /// <summary>Added to the variance before the square root, for stability.</summary>
    public float Eps { get; }
    /// <summary>The learned scale γ, shape <see cref="NormalizedShape"/>; null without elementwise affine.</summary>
    public Tensor? Weight { get; }
    /// <summary>The learned shift β, shape <see cref="NormalizedShape"/>; null without elementwise affine.</summary>
    public Tensor? Bias { get; }

    /// <summary>
    /// Normalises input [..., *NormalizedShape] to zero mean and unit variance over the trailing dimensions, then
    /// scales and shifts; the output has the input's shape.
    /// </summary>
    public override Tensor Forward(Tensor input) => Tensor.LayerNorm(input, NormalizedShape, Weight, Bias, Eps);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"({string.Join(", ", NormalizedShape)},), eps={Eps}, elementwise_affine={(Weight != null ? "True" : "False")}";
}
