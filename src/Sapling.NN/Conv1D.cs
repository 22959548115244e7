namespace Sapling.NN;

/// <summary>
/// GPT-2's "Conv1D": a linear layer whose weight is stored [in, out] (the transpose of <see cref="Linear"/>), so
/// Hugging Face GPT-2 checkpoints load as they are. Initialised N(0, 0.02) with zero bias, as in GPT-2.
/// </summary>
public sealed class Conv1D : LinearLayer
{
    /// <summary>
    /// Creates the layer with weight [in, out] drawn from N(0, 0.02) via <paramref name="generator"/> and zero bias.
    /// </summary>
    public Conv1D(int inFeatures, int outFeatures, Generator? generator = null) : base(inFeatures, outFeatures)
    {
        weight = RegisterParameter("weight", Init.Normal(Tensor.Empty(inFeatures, outFeatures), 0f, 0.02f, generator));
        Bias = RegisterParameter("bias", Tensor.Zeros(outFeatures));
    }

    private Tensor? weight;

    /// <summary>
    /// The weight [in, out] (transposed from <see cref="Linear"/>); throws once the layer is int8-quantized.
    /// </summary>
    public override Tensor Weight => weight ?? throw QuantizedError("its float weight is gone (see Quantized)");
    /// <summary>The bias [out]; GPT-2's Conv1D always has one.</summary>
    public override Tensor Bias { get; }

    /// <inheritdoc/>
    protected override Tensor Project(Tensor input) => Tensor.Linear(input, Weight.T(), Bias);

    /// <inheritdoc/>
    protected override Tensor WeightOutIn() => Weight.T();

    // Stored [in, out], as GPT-2 checkpoints hold it, so a quantized file keeps Hugging Face's shapes.
    /// <inheritdoc/>
    protected override Tensor ToStoredLayout(Tensor outIn) => outIn.T();

    /// <inheritdoc/>
    protected override void ReleaseFloatWeight()
    {
        weight?.Dispose();
        weight = null;
    }

    // The update arrives [out, in]; this weight is [in, out] (PEFT's fan_in_fan_out).
    /// <inheritdoc/>
    protected override void AddToWeight(Tensor delta, float alpha) => Weight.AddInPlace(delta.T(), alpha);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"nf={OutFeatures}, nx={InFeatures}";
}
