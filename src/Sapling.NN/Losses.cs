namespace Sapling.NN;

/// <summary>Cross-entropy from logits with PyTorch's options (ignore_index, label smoothing, reduction).</summary>
public sealed class CrossEntropyLoss(Reduction reduction = Reduction.Mean, long ignoreIndex = -100, float labelSmoothing = 0f) : Module<(Tensor Logits, Tensor Targets), Tensor>
{
    public override Tensor Forward((Tensor Logits, Tensor Targets) input) => Tensor.CrossEntropy(input.Logits, input.Targets, reduction, ignoreIndex, labelSmoothing);

    public Tensor Forward(Tensor logits, Tensor targets) => Tensor.CrossEntropy(logits, targets, reduction, ignoreIndex, labelSmoothing);
}

/// <summary>Mean squared error.</summary>
public sealed class MSELoss(Reduction reduction = Reduction.Mean) : Module<(Tensor Input, Tensor Target), Tensor>
{
    public override Tensor Forward((Tensor Input, Tensor Target) input) => Forward(input.Input, input.Target);

    public Tensor Forward(Tensor prediction, Tensor target)
    {
        var squared = prediction.Sub(target).Square();
        return reduction switch
        {
            Reduction.Sum => squared.Sum(),
            Reduction.None => squared,
            _ => squared.Mean(),
        };
    }
}
