namespace Sapling.NN;

/// <summary>Mean squared error.</summary>
public sealed class MSELoss(Reduction reduction = Reduction.Mean) : Module<(Tensor Input, Tensor Target), Tensor>
{
    /// <summary>The loss of <c>input.Input</c> against <c>input.Target</c>; see the two-argument overload.</summary>
    public override Tensor Forward((Tensor Input, Tensor Target) input) => Forward(input.Input, input.Target);

    /// <summary>
    /// (prediction − target)² elementwise, then averaged (the default), summed or left as is according to the
    /// <see cref="Reduction"/> given at construction. The two tensors must have broadcast-compatible shapes.
    /// </summary>
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
