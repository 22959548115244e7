namespace Sapling.NN;

/// <summary>Cross-entropy from logits with PyTorch's options (ignore_index, label smoothing, reduction).</summary>
public sealed class CrossEntropyLoss(Reduction reduction = Reduction.Mean, long ignoreIndex = -100, float labelSmoothing = 0f) : Module<(Tensor Logits, Tensor Targets), Tensor>
{
    public override Tensor Forward((Tensor Logits, Tensor Targets) input) => Tensor.CrossEntropy(input.Logits, input.Targets, reduction, ignoreIndex, labelSmoothing);

    public Tensor Forward(Tensor logits, Tensor targets) => Tensor.CrossEntropy(logits, targets, reduction, ignoreIndex, labelSmoothing);
}
