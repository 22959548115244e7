namespace Sapling.NN;

/// <summary>Layer normalisation over the trailing dimensions given by <c>normalizedShape</c>, with learned scale and shift.</summary>
public sealed class LayerNorm : Module<Tensor, Tensor>
{
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

    public LayerNorm(int normalizedSize, float eps = 1e-5f, bool elementwiseAffine = true) : this([normalizedSize], eps, elementwiseAffine)
    {
    }

    public int[] NormalizedShape { get; }
    public float Eps { get; }
    public Tensor? Weight { get; }
    public Tensor? Bias { get; }

    public override Tensor Forward(Tensor input) => Tensor.LayerNorm(input, NormalizedShape, Weight, Bias, Eps);

    protected override string ExtraRepr() => $"({string.Join(", ", NormalizedShape)},), eps={Eps}, elementwise_affine={(Weight != null ? "True" : "False")}";
}
