namespace Sapling.NN;

/// <summary>
/// GPT-2's "Conv1D": a linear layer whose weight is stored [in, out] (the transpose of <see cref="Linear"/>), so
/// Hugging Face GPT-2 checkpoints load as they are. Initialised N(0, 0.02) with zero bias, as in GPT-2.
/// </summary>
public sealed class Conv1D : LinearLayer
{
    public Conv1D(int inFeatures, int outFeatures, Generator? generator = null) : base(inFeatures, outFeatures)
    {
        weight = RegisterParameter("weight", Init.Normal(Tensor.Empty(inFeatures, outFeatures), 0f, 0.02f, generator));
        Bias = RegisterParameter("bias", Tensor.Zeros(outFeatures));
    }

    private Tensor? weight;

    public override Tensor Weight => weight ?? throw QuantizedError("its float weight is gone (see Quantized)");
    public override Tensor Bias { get; }

    protected override Tensor Project(Tensor input) => Tensor.Linear(input, Weight.T(), Bias);

    protected override Tensor WeightOutIn() => Weight.T();

    // Stored [in, out], as GPT-2 checkpoints hold it, so a quantized file keeps Hugging Face's shapes.
    protected override Tensor ToStoredLayout(Tensor outIn) => outIn.T();

    protected override void ReleaseFloatWeight()
    {
        weight?.Dispose();
        weight = null;
    }

    // The update arrives [out, in]; this weight is [in, out] (PEFT's fan_in_fan_out).
    protected override void AddToWeight(Tensor delta, float alpha) => Weight.AddInPlace(delta.T(), alpha);

    protected override string ExtraRepr() => $"nf={OutFeatures}, nx={InFeatures}";
}
