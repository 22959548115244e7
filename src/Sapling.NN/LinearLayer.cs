using Sapling.NN.Adapters;
using Sapling.Quantization;

namespace Sapling.NN;

/// <summary>
/// What <see cref="Linear"/> and <see cref="Conv1D"/> share: an affine map from <see cref="InFeatures"/> to
/// <see cref="OutFeatures"/> that can carry a LoRA branch. Only the weight layout differs ([out, in] for Linear,
/// [in, out] for GPT-2's Conv1D), so each says how to add an [out, in] update to its weight.
/// </summary>
public abstract class LinearLayer : Module<Tensor, Tensor>, IQuantizable
{
    /// <summary>Sets the feature sizes; the subclass registers its weight and bias.</summary>
    protected LinearLayer(int inFeatures, int outFeatures) => (InFeatures, OutFeatures) = (inFeatures, outFeatures);

    /// <summary>Size of the last dimension of the input.</summary>
    public int InFeatures { get; }
    /// <summary>Size of the last dimension of the output.</summary>
    public int OutFeatures { get; }
    /// <summary>The float weight in the layer's own layout; throws once the layer is int8-quantized.</summary>
    public abstract Tensor Weight { get; }
    /// <summary>The bias [out], or null when the layer has none.</summary>
    public abstract Tensor? Bias { get; }

    /// <summary>The low-rank update attached by <see cref="Adapters.Lora.Apply"/>, or null.</summary>
    public LoraBranch? Lora { get; private set; }

    /// <summary>The layer without any adapter.</summary>
    protected abstract Tensor Project(Tensor input);

    /// <summary>The int8 weight once <see cref="Quantize"/> or <see cref="LoadQuantized"/> ran; null while float32.</summary>
    public QuantizedWeight? Quantized { get; private set; }

    /// <summary>The float weight in [out, in] order (the int8 kernel's layout).</summary>
    protected abstract Tensor WeightOutIn();

    /// <summary>An [out, in] tensor in this layer's stored layout (a view where the layouts differ).</summary>
    protected abstract Tensor ToStoredLayout(Tensor outIn);

    /// <summary>Forgets the float weight (the parameter has been removed from the module).</summary>
    protected abstract void ReleaseFloatWeight();

    /// <summary>The message for anything that needs the float weight of an int8 layer.</summary>
    protected InvalidOperationException QuantizedError(string what) =>
        new($"{GetType().Name}({InFeatures} → {OutFeatures}) is int8-quantized: {what}; it runs inference only (train the float32 model and quantize it again)");

    /// <inheritdoc/>
    public void Quantize()
    {
        if (Quantized != null) throw new InvalidOperationException($"{GetType().Name}({InFeatures} → {OutFeatures}) is already int8-quantized");
        if (Lora != null) throw new InvalidOperationException($"{GetType().Name}({InFeatures} → {OutFeatures}) has a LoRA adapter: merge and unload it before quantizing");
        QuantizedWeight q;
        using (Autograd.NoGrad.Enter()) q = QuantizedWeight.Quantize(WeightOutIn().Contiguous());
        Use(q);
    }

    /// <inheritdoc/>
    public void LoadQuantized(Tensor values, Tensor scale, string source)
    {
        if (Quantized != null) throw new InvalidOperationException($"{source}: {GetType().Name}({InFeatures} → {OutFeatures}) is already int8-quantized");
        var expected = StoredShape;
        if (!values.Shape.SequenceEqual(expected))
            throw new InvalidDataException($"{source}: int8 weight shape {ShapeUtil.Format(values.Shape.ToArray())} does not match the layer's {ShapeUtil.Format(expected.ToArray())}");
        Tensor outIn;
        using (Autograd.NoGrad.Enter()) outIn = ToOutIn(values);
        Use(QuantizedWeight.FromInt8(outIn, scale, source));
    }

    /// <summary>The weight's shape in this layer's stored layout, from a tensor without memory.</summary>
    private int[] StoredShape => ToStoredLayout(Tensor.Placeholder(DType.Int8, OutFeatures, InFeatures)).Shape.ToArray();

    /// <summary>A state dict's "weight" of an int8 layer: the values unpacked, in the stored layout.</summary>
    protected override Tensor StateDictTensor(string name, Tensor registered) =>
        name == "weight" && Quantized is { } q ? ToStoredLayout(q.Values) : registered;

    /// <summary>A stored-layout tensor in [out, in] order, contiguous.</summary>
    private Tensor ToOutIn(Tensor stored)
    {
        // ToStoredLayout is its own inverse: a transpose for Conv1D, the identity for Linear.
        return ToStoredLayout(stored).Contiguous();
    }

    private void Use(QuantizedWeight q)
    {
        ReplaceWeightWithInt8(StoredShape, q.Scale);
        ReleaseFloatWeight();
        Quantized = q;
    }

    /// <summary>Adds <paramref name="alpha"/>·<paramref name="delta"/> (laid out [out, in]) to the weight, in place.</summary>
    protected abstract void AddToWeight(Tensor delta, float alpha);

    /// <summary>
    /// Maps input [..., in] to [..., out], adding the LoRA branch's output while it is attached and not merged. Throws
    /// when the last dimension is not <see cref="InFeatures"/>, or when an int8 layer is run in training mode.
    /// </summary>
    public sealed override Tensor Forward(Tensor input)
    {
        if (input.Rank == 0 || input.Shape[^1] != InFeatures)
            throw new ArgumentException($"{GetType().Name}({InFeatures} → {OutFeatures}): input shape {ShapeUtil.Format(input.Shape.ToArray())} must end in {InFeatures}");
        if (Quantized != null)
        {
            if (Training) throw QuantizedError("it cannot be trained (call Eval() for inference)");
            return Tensor.QuantizedLinear(input, Quantized, Bias);
        }
        var y = Project(input);
        return Lora is { Merged: false } lora ? y.Add(lora.Forward(input)) : y;
    }

    /// <summary>Registers the branch's A and B under PEFT's names (lora_A, lora_B) so state dicts carry them.</summary>
    public void AttachLora(LoraBranch branch)
    {
        if (Lora != null) throw new InvalidOperationException($"{GetType().Name}({InFeatures} → {OutFeatures}) already has a LoRA adapter");
        if (Quantized != null) throw QuantizedError("LoRA adapters need the float weight");
        if (branch.InFeatures != InFeatures || branch.OutFeatures != OutFeatures)
            throw new ArgumentException($"a LoRA branch for {branch.InFeatures} → {branch.OutFeatures} does not fit {GetType().Name}({InFeatures} → {OutFeatures})");
        RegisterModule("lora_A", branch.A);
        RegisterModule("lora_B", branch.B);
        RegisterModule("lora_dropout", branch.Dropout);
        branch.Dropout.Train(Training);
        Lora = branch;
    }

    /// <summary>
    /// Removes the branch. A merged branch is unmerged first, unless <paramref name="keepMerged"/>: then its update
    /// stays in the weight, which becomes the layer's own (PEFT's merge_and_unload).
    /// </summary>
    public void DetachLora(bool keepMerged = false)
    {
        if (Lora == null) return;
        if (Lora.Merged && !keepMerged) UnmergeLora();
        RemoveChild("lora_A");
        RemoveChild("lora_B");
        RemoveChild("lora_dropout");
        Lora = null;
    }

    /// <summary>W ← W + (α/r)·B·A: the adapter folds into the weight and costs nothing at inference.</summary>
    public void MergeLora()
    {
        if (Lora == null || Lora.Merged) return;
        using (Autograd.NoGrad.Enter()) AddToWeight(Lora.DeltaWeight(), 1f);
        Lora.Merged = true;
    }

    /// <summary>W ← W − (α/r)·B·A: undoes <see cref="MergeLora"/> (up to float rounding).</summary>
    public void UnmergeLora()
    {
        if (Lora == null || !Lora.Merged) return;
        using (Autograd.NoGrad.Enter()) AddToWeight(Lora.DeltaWeight(), -1f);
        Lora.Merged = false;
    }
}
