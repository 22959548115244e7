namespace Sapling.NN;

/// <summary>
/// Root-mean-square layer normalisation (Zhang and Sennrich, 2019), as Llama, Mistral and Qwen use it:
/// y = x / √(mean(x²) + eps) · weight over the last dimension, with no mean subtraction and no bias.
/// </summary>
public sealed class RMSNorm : Module<Tensor, Tensor>
{
    public RMSNorm(int size, float eps = 1e-6f)
    {
        (Size, Eps) = (size, eps);
        Weight = RegisterParameter("weight", Tensor.Ones(size));
    }

    public int Size { get; }
    public float Eps { get; }
    public Tensor Weight { get; }

    public override Tensor Forward(Tensor x) => Tensor.RmsNorm(x, Weight, Eps);

    protected override string ExtraRepr() => $"({Size},), eps={Eps}";
}
