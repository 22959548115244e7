namespace Sapling.NN;

/// <summary>y = x·Wᵀ + b with W of shape [out, in] (PyTorch's layout and initialisation).</summary>
public sealed class Linear : LinearLayer
{
    public Linear(int inFeatures, int outFeatures, bool bias = true, Generator? generator = null) : base(inFeatures, outFeatures)
    {
        Weight = RegisterParameter("weight", Init.KaimingUniform(Tensor.Empty(outFeatures, inFeatures), a: MathF.Sqrt(5f), g: generator));
        if (bias)
        {
            float bound = inFeatures > 0 ? 1f / MathF.Sqrt(inFeatures) : 0f;
            Bias = RegisterParameter("bias", Init.Uniform(Tensor.Empty(outFeatures), -bound, bound, generator));
        }
    }

    public override Tensor Weight { get; }
    public override Tensor? Bias { get; }

    protected override Tensor Project(Tensor input)
    {
        var y = input.MatMul(Weight.T());
        return Bias != null ? y.Add(Bias) : y;
    }

    protected override void AddToWeight(Tensor delta, float alpha) => Weight.AddInPlace(delta, alpha);

    protected override string ExtraRepr() => $"in_features={InFeatures}, out_features={OutFeatures}, bias={(Bias != null ? "True" : "False")}";
}
