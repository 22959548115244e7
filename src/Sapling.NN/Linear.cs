namespace Sapling.NN;

/// <summary>y = x·Wᵀ + b with W of shape [out, in] (PyTorch's layout and initialisation).</summary>
public sealed class Linear : LinearLayer
{
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

    public override Tensor Weight => weight ?? throw QuantizedError("its float weight is gone (see Quantized)");
    public override Tensor? Bias { get; }

    protected override Tensor Project(Tensor input) => Tensor.Linear(input, Weight, Bias);

    protected override Tensor WeightOutIn() => Weight;

    protected override Tensor ToStoredLayout(Tensor outIn) => outIn;

    protected override void ReleaseFloatWeight()
    {
        weight?.Dispose();
        weight = null;
    }

    protected override void AddToWeight(Tensor delta, float alpha) => Weight.AddInPlace(delta, alpha);

    protected override string ExtraRepr() => $"in_features={InFeatures}, out_features={OutFeatures}, bias={(Bias != null ? "True" : "False")}";
}
