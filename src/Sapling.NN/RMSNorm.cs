namespace Sapling.NN;

/// <summary>
/// Root-mean-square layer normalisation (Zhang and Sennrich, 2019), as Llama, Mistral and Qwen use it:
/// y = x / √(mean(x²) + eps) · weight over the last dimension, with no mean subtraction and no bias.
/// </summary>
public sealed class RMSNorm : Module<Tensor, Tensor>
{
    /// <summary>
    /// Creates the layer with a weight [<paramref name="size"/>] of ones (Hugging Face's LlamaRMSNorm).
    /// </summary>
    public RMSNorm(int size, float eps = 1e-6f)
    {
        (Size, Eps) = (size, eps);
        Weight = RegisterParameter("weight", Tensor.Ones(size));
    }

    /// <summary>Size of the last dimension that is normalised.</summary>
    public int Size { get; }
    /// <summary>Added to the mean square before the square root, for stability.</summary>
    public float Eps { get; }
    /// <summary>The learned per-feature scale [Size].</summary>
    public Tensor Weight { get; }

    /// <summary>
    /// Normalises <paramref name="x"/> [..., Size] over its last dimension; the output has the input's shape.
    /// </summary>
    public override Tensor Forward(Tensor x) => Tensor.RmsNorm(x, Weight, Eps);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"({Size},), eps={Eps}";
}
