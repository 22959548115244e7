namespace Sapling.NN;

/// <summary>
/// GPT-2's "Conv1D": a linear layer whose weight is stored [in, out] (the transpose of <see cref="Linear"/>), so
/// Hugging Face GPT-2 checkpoints load as they are. Initialised N(0, 0.02) with zero bias, as in GPT-2.
/// </summary>
public sealed class Conv1D : Module<Tensor, Tensor>
{
    public Conv1D(int inFeatures, int outFeatures, Generator? generator = null)
    {
        (InFeatures, OutFeatures) = (inFeatures, outFeatures);
        Weight = RegisterParameter("weight", Init.Normal(Tensor.Empty(inFeatures, outFeatures), 0f, 0.02f, generator));
        Bias = RegisterParameter("bias", Tensor.Zeros(outFeatures));
    }

    public int InFeatures { get; }
    public int OutFeatures { get; }
    public Tensor Weight { get; }
    public Tensor Bias { get; }

    public override Tensor Forward(Tensor input)
    {
        if (input.Rank == 0 || input.Shape[^1] != InFeatures)
            throw new ArgumentException($"Conv1D({InFeatures} → {OutFeatures}): input shape {ShapeUtil.Format(input.Shape.ToArray())} must end in {InFeatures}");
        return input.MatMul(Weight).Add(Bias);
    }

    protected override string ExtraRepr() => $"nf={OutFeatures}, nx={InFeatures}";
}
