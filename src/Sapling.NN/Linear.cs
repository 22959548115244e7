namespace Sapling.NN;

/// <summary>y = x·Wᵀ + b with W of shape [out, in] (PyTorch's layout and initialisation).</summary>
public sealed class Linear : LinearLayer
{
    /// <summary>
    /// Creates the layer matching PyTorch's <c>nn.Linear</c>: weight Kaiming-uniform (a = √5), bias uniform in
    /// ±1/√<paramref name="inFeatures"/>, drawn from <paramref name="generator"/> (the global one when null).
    /// </summary>
    public Linear(int inFeatures, int outFeatures, bool bias = true, Generator? generator = null) : base(inFeatures, outFeatures)
    {
        weight = RegisterParameter("weight", Init.KaimingUniform(Tensor.Empty(outFeatures, inFeatures), a: MathF.Sqrt(5f), g: generator));
        if (bias)
        {
            float bound = inFeatures > 0 ? 1f / MathF.Sqrt(inFeatures) : 0f;
            Bias = RegisterParameter("bias", Init.Uniform(Tensor.Empty(outFeatures), -bound, bound, generator));
        }
    }

    private Tensor? weight;

    /// <summary>
    /// The weight [out, in]; throws once the layer is int8-quantized (see <see cref="LinearLayer.Quantized"/>).
    /// </summary>
    public override Tensor Weight => weight ?? throw QuantizedError("its float weight is gone (see Quantized)");
    /// <summary>The bias [out], or null when created with <c>bias: false</c>.</summary>
    public override Tensor? Bias { get; }

    /// <inheritdoc/>
    protected override Tensor Project(Tensor input) => Tensor.Linear(input, Weight, Bias);

    /// <inheritdoc/>
    protected override Tensor WeightOutIn() => Weight;

    /// <inheritdoc/>
    protected override Tensor ToStoredLayout(Tensor outIn) => outIn;

    /// <inheritdoc/>
    protected override void ReleaseFloatWeight()
    {
        weight?.Dispose();
        weight = null;
    }

    /// <inheritdoc/>
    protected override void AddToWeight(Tensor delta, float alpha) => Weight.AddInPlace(delta, alpha);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"in_features={InFeatures}, out_features={OutFeatures}, bias={(Bias != null ? "True" : "False")}";
}
