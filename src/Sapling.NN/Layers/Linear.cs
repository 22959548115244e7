namespace Sapling.NN;

/// <summary>y = x·Wᵀ + b with W of shape [out, in] (PyTorch's layout and initialisation).</summary>
public sealed class Linear : Module<Tensor, Tensor>
{
    public Linear(int inFeatures, int outFeatures, bool bias = true, Generator? generator = null)
    {
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        Weight = RegisterParameter("weight", Init.KaimingUniform(Tensor.Empty(outFeatures, inFeatures), a: MathF.Sqrt(5f), g: generator));
        if (bias)
        {
            float bound = inFeatures > 0 ? 1f / MathF.Sqrt(inFeatures) : 0f;
            Bias = RegisterParameter("bias", Init.Uniform(Tensor.Empty(outFeatures), -bound, bound, generator));
        }
    }

    public int InFeatures { get; }
    public int OutFeatures { get; }
    public Tensor Weight { get; }
    public Tensor? Bias { get; }

    public override Tensor Forward(Tensor input)
    {
        if (input.Rank == 0 || input.Shape[^1] != InFeatures)
            throw new ArgumentException($"Linear({InFeatures} → {OutFeatures}): input shape {ShapeUtil.Format(input.Shape.ToArray())} must end in {InFeatures}");
        var y = input.MatMul(Weight.T());
        return Bias != null ? y.Add(Bias) : y;
    }

    protected override string ExtraRepr() => $"in_features={InFeatures}, out_features={OutFeatures}, bias={(Bias != null ? "True" : "False")}";
}
