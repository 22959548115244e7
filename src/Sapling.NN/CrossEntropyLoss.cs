namespace Sapling.NN;

/// <summary>Cross-entropy from logits with PyTorch's options (ignore_index, label smoothing, reduction).</summary>
public sealed class CrossEntropyLoss(Reduction reduction = Reduction.Mean, long ignoreIndex = -100, float labelSmoothing = 0f) : Module<(Tensor Logits, Tensor Targets), Tensor>
{
    /// <summary>The loss of <c>input.Logits</c> against <c>input.Targets</c>; see the two-argument overload.</summary>
    public override Tensor Forward((Tensor Logits, Tensor Targets) input) => Tensor.CrossEntropy(input.Logits, input.Targets, reduction, ignoreIndex, labelSmoothing);

    /// <summary>
    /// Cross-entropy of <paramref name="logits"/> [N, C] (or [N, C, d1, …]) against int64 class indices
    /// <paramref name="targets"/> [N] (or [N, d1, …]), reduced as chosen at construction; targets equal to the ignore
    /// index contribute nothing.
    /// </summary>
    public Tensor Forward(Tensor logits, Tensor targets) => Tensor.CrossEntropy(logits, targets, reduction, ignoreIndex, labelSmoothing);
}
