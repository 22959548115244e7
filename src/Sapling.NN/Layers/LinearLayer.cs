namespace Sapling.NN;

/// <summary>
/// What <see cref="Linear"/> and <see cref="Conv1D"/> share: an affine map from <see cref="InFeatures"/> to
/// <see cref="OutFeatures"/> that can carry a LoRA branch. Only the weight layout differs ([out, in] for Linear,
/// [in, out] for GPT-2's Conv1D), so each says how to add an [out, in] update to its weight.
/// </summary>
public abstract class LinearLayer : Module<Tensor, Tensor>
{
    protected LinearLayer(int inFeatures, int outFeatures) => (InFeatures, OutFeatures) = (inFeatures, outFeatures);

    public int InFeatures { get; }
    public int OutFeatures { get; }
    public abstract Tensor Weight { get; }
    public abstract Tensor? Bias { get; }

    /// <summary>The low-rank update attached by <see cref="Adapters.Lora.Apply"/>, or null.</summary>
    public LoraBranch? Lora { get; private set; }

    /// <summary>The layer without any adapter.</summary>
    protected abstract Tensor Project(Tensor input);

    /// <summary>Adds <paramref name="alpha"/>·<paramref name="delta"/> (laid out [out, in]) to the weight, in place.</summary>
    protected abstract void AddToWeight(Tensor delta, float alpha);

    public sealed override Tensor Forward(Tensor input)
    {
        if (input.Rank == 0 || input.Shape[^1] != InFeatures)
            throw new ArgumentException($"{GetType().Name}({InFeatures} → {OutFeatures}): input shape {ShapeUtil.Format(input.Shape.ToArray())} must end in {InFeatures}");
        var y = Project(input);
        return Lora is { Merged: false } lora ? y.Add(lora.Forward(input)) : y;
    }

    /// <summary>Registers the branch's A and B under PEFT's names (lora_A, lora_B) so state dicts carry them.</summary>
    public void AttachLora(LoraBranch branch)
    {
        if (Lora != null) throw new InvalidOperationException($"{GetType().Name}({InFeatures} → {OutFeatures}) already has a LoRA adapter");
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
